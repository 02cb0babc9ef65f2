package webex

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// FindPeopleByEmail lists the people with that email, with their calling
// data (extension, location) (L1). An unknown email gives an empty list.
func (c *Client) FindPeopleByEmail(ctx context.Context, email string) ([]Person, error) {
	q := url.Values{"email": {email}, "callingData": {"true"}, "max": {strconv.Itoa(c.cfg.pageSize)}}
	return list[Person](ctx, c, "/people", q)
}

// ListPeople lists every person of the org with calling data, 100 a page
// (L1 without a filter).
func (c *Client) ListPeople(ctx context.Context) ([]Person, error) {
	q := url.Values{"callingData": {"true"}, "max": {strconv.Itoa(c.cfg.pageSize)}}
	return list[Person](ctx, c, "/people", q)
}

// MaxPeopleIDs is the most person IDs one GET /people?id= takes.
const MaxPeopleIDs = 85

// ListDirectoryPages lists the org's people without calling data (IDs,
// e-mails, names), 1,000 a page where ListPeople gets 100, and hands each
// page to fn in order until fn returns false or the last page. The pages
// follow one another through cursor links, one round trip each: with
// GetPeopleByID for the calling data of the people it needs, a caller
// resolves a thousand e-mails in two round trips instead of ten.
func (c *Client) ListDirectoryPages(ctx context.Context, fn func([]Person) bool) error {
	q := url.Values{"max": {strconv.Itoa(c.cfg.directoryPageSize)}}
	return pages(ctx, c, "/people", q, fn)
}

// GetPeopleByID returns the people with these IDs (at most MaxPeopleIDs)
// with their calling data; IDs Webex does not know are left out.
func (c *Client) GetPeopleByID(ctx context.Context, ids []string) ([]Person, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > MaxPeopleIDs {
		return nil, fmt.Errorf("GET /people: %d IDs, at most %d a call", len(ids), MaxPeopleIDs)
	}
	q := url.Values{"id": {strings.Join(ids, ",")}, "callingData": {"true"}, "max": {strconv.Itoa(MaxPeopleIDs)}}
	return list[Person](ctx, c, "/people", q)
}

// FindWorkspaces lists the workspaces with that display name (L2); ""
// lists them all.
func (c *Client) FindWorkspaces(ctx context.Context, displayName string) ([]Workspace, error) {
	q := url.Values{"max": {strconv.Itoa(c.cfg.pageSize)}}
	if displayName != "" {
		q.Set("displayName", displayName)
	}
	return list[Workspace](ctx, c, "/workspaces", q)
}

// FindLocations lists the locations whose name matches (L3; Webex matches
// names containing it); "" lists them all.
func (c *Client) FindLocations(ctx context.Context, name string) ([]Location, error) {
	q := url.Values{"max": {strconv.Itoa(c.cfg.pageSize)}}
	if name != "" {
		q.Set("name", name)
	}
	return list[Location](ctx, c, "/locations", q)
}

// GetLocationCalling returns a location's calling settings, among them its
// default SIP domain (L3).
func (c *Client) GetLocationCalling(ctx context.Context, locationID string) (*LocationCalling, error) {
	var out LocationCalling
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/telephony/config/locations/" + url.PathEscape(locationID), out: &out})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// SupportedDevices lists the device models Webex Calling supports (S1).
func (c *Client) SupportedDevices(ctx context.Context) ([]SupportedDevice, error) {
	var out SupportedDevicesResponse
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/telephony/config/supportedDevices", out: &out})
	if err != nil {
		return nil, err
	}
	return out.Devices, nil
}

// validateBatch is M1's batch size.
const validateBatch = 100

// ValidateMACs checks MACs in batches of 100 (M1) and returns one status
// per MAC, in the order given. A MAC the answer does not mention is
// AVAILABLE (the API lists only MACs with a problem when the batch is OK).
// DUPLICATE_IN_LIST is reported by the API within a batch only.
func (c *Client) ValidateMACs(ctx context.Context, macs []string) ([]MACStatus, error) {
	out := make([]MACStatus, 0, len(macs))
	for start := 0; start < len(macs); start += validateBatch {
		batch := macs[start:min(start+validateBatch, len(macs))]
		var resp ValidateMACsResponse
		_, err := c.do(ctx, request{
			method: http.MethodPost,
			path:   "/telephony/config/devices/actions/validateMacs/invoke",
			body:   ValidateMACsRequest{MACs: batch},
			out:    &resp,
		})
		if err != nil {
			return nil, err
		}
		byMAC := make(map[string][]MACStatus, len(resp.MACStatus))
		for _, st := range resp.MACStatus {
			k := normMAC(st.MAC)
			byMAC[k] = append(byMAC[k], st)
		}
		for _, m := range batch {
			k := normMAC(m)
			if sts := byMAC[k]; len(sts) > 0 {
				st := sts[0]
				if len(sts) > 1 {
					byMAC[k] = sts[1:]
				}
				st.MAC = m
				out = append(out, st)
				continue
			}
			out = append(out, MACStatus{MAC: m, State: MACAvailable})
		}
	}
	return out, nil
}

// normMAC is a MAC as the API stores it: 12 upper-case hex digits (separators dropped).
func normMAC(m string) string {
	var b strings.Builder
	for _, r := range m {
		switch {
		case r >= '0' && r <= '9', r >= 'A' && r <= 'F':
			b.WriteRune(r)
		case r >= 'a' && r <= 'f':
			b.WriteRune(r - 'a' + 'A')
		}
	}
	return b.String()
}

// ListDevices lists the devices matching q, all pages (D2).
func (c *Client) ListDevices(ctx context.Context, q DeviceQuery) ([]Device, error) {
	v := url.Values{"max": {strconv.Itoa(c.cfg.pageSize)}}
	for k, s := range map[string]string{"mac": q.MAC, "personId": q.PersonID, "workspaceId": q.WorkspaceID, "product": q.Product,
		"type": q.Type, "connectionStatus": q.ConnectionStatus} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return list[Device](ctx, c, "/devices", v)
}

// GetDevice returns a device (D3); a missing one is ErrNotFound.
func (c *Client) GetDevice(ctx context.Context, id string) (*Device, error) {
	var out Device
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/devices/" + url.PathEscape(id), out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteDevice deletes a device (D3); a missing one is ErrNotFound, which a
// caller cleaning up after a retry may treat as done.
func (c *Client) DeleteDevice(ctx context.Context, id string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: "/devices/" + url.PathEscape(id)})
	return err
}

// GetTelephonyDevice returns a device's calling settings: SIP user name,
// line port, outbound proxy (T1). id is the device id or its callingDeviceId.
func (c *Client) GetTelephonyDevice(ctx context.Context, id string) (*TelephonyDevice, error) {
	var out TelephonyDevice
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/telephony/config/devices/" + url.PathEscape(id), out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetSIPPassword sets a device's SIP digest password (T2). The password is
// never logged nor part of an error; a 400 says which policy rule it broke.
func (c *Client) SetSIPPassword(ctx context.Context, id, password string) error {
	_, err := c.do(ctx, request{
		method:  http.MethodPut,
		path:    "/telephony/config/devices/" + url.PathEscape(id),
		body:    SIPPasswordRequest{SIPPassword: password},
		secrets: []string{password},
	})
	return err
}

// GetMembers returns a device's lines or ports (T3).
func (c *Client) GetMembers(ctx context.Context, id string) (*Members, error) {
	var out Members
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/telephony/config/devices/" + url.PathEscape(id) + "/members", out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// PutMembers replaces a device's whole member list (T4); an empty list
// removes every member.
func (c *Client) PutMembers(ctx context.Context, id string, members []MemberPut) error {
	if members == nil {
		members = []MemberPut{}
	}
	_, err := c.do(ctx, request{
		method: http.MethodPut,
		path:   "/telephony/config/devices/" + url.PathEscape(id) + "/members",
		body:   PutMembersRequest{Members: members},
	})
	return err
}

// ApplyChanges asks the device to fetch its new configuration (T5); only
// models with supportsApplyChangesEnabled accept it.
func (c *Client) ApplyChanges(ctx context.Context, id string) error {
	_, err := c.do(ctx, request{method: http.MethodPost, path: "/telephony/config/devices/" + url.PathEscape(id) + "/actions/applyChanges/invoke"})
	return err
}

// GeneratePassword asks Webex for a SIP password that meets the location's
// policy (P1). The password is a secret: callers must not log it.
func (c *Client) GeneratePassword(ctx context.Context, locationID string) (string, error) {
	var out GeneratePasswordResponse
	path := "/telephony/config/locations/" + url.PathEscape(locationID) + "/actions/generatePassword/invoke"
	_, err := c.do(ctx, request{method: http.MethodPost, path: path, body: GeneratePasswordRequest{Generate: []string{"sip"}}, out: &out})
	if err != nil {
		return "", err
	}
	if out.ExampleSIPPassword == "" {
		return "", fmt.Errorf("POST %s: %w", path, errNoPassword)
	}
	return out.ExampleSIPPassword, nil
}

var errNoPassword = errors.New("answer holds no exampleSipPassword")
