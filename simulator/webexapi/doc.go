// Package webexapi is a stateful emulator of the Webex REST calls cutover uses
// (../../shared/WEBEX-API.md): people, workspaces and locations look-ups, the
// supported-devices catalog, MAC validation, device creation and deletion, the
// telephony device settings (SIP password, members, apply changes), password
// generation, and the two token endpoints.
//
// A *Server is an http.Handler. Mount it behind httptest.NewServer for tests,
// or run it standalone with `cutover emulate webex`. The REST API lives under
// /v1/...; an admin view lives under /_emulator/: state and requests (read
// only), and two controls that need the admin token (registrations reported
// by an SBC emulator in another process, forced connection states).
//
// A device's connectionStatus, firstSeen and lastSeen come from the
// registrations its lab's SBCs report (ObserveRegistration, fed by
// sbc.WithBindingHook): connected while a binding is live, as Webex shows a
// phone registered to its SBCs (connection.go).
//
// The emulator enforces the documented rules instead of saying yes to
// everything: MAC format and uniqueness, exactly one owner, the SIP password
// policy, port ranges and line weights, line labels, apply-changes support,
// one create at a time per owner, token expiry and scopes. Faults (rate
// limits, 5xx, latency, dropped connections, commit-then-fail, short-lived
// tokens) are switches settable at run time; their random draws come from a
// seeded source so that tests are repeatable.
//
// Where the public record is silent the emulator makes these choices
// (WEBEX-API.md marks them "not public"):
//
//   - A MAC in use is refused on create with 409 and errorCode 5675 (the
//     code validateMacs reports); a second create for an owner whose create
//     is still running gets 409 without an errorCode.
//   - A write (SIP password, members, apply changes) to a device that another
//     write holds gets 423 with Retry-After: 1.
//   - Location names match by substring (as Webex documents), workspace
//     display names and e-mails exactly, ignoring case.
//   - SIP user names are ten random-looking lower-case letters and digits;
//     a line port is "<extension or name>@<location defaultDomain>"; a
//     location without a domain gets DomainFor(name).
//   - Passwords must not contain the SIP user name or the owner's
//     extension (WithPasswordRules turns these off).
//   - Faults hit before authentication; latency on creates and device writes
//     is spent while the owner or device is held, which widens the windows
//     above.
//
// It shares the wire types of package webex but none of its client logic.
package webexapi
