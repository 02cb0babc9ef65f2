// Package webex is the Webex REST client cutover uses to provision
// partner-managed devices: token sources (static token, OAuth refresh token,
// Service App token minting), one retrying and rate-limited HTTP transport,
// Link-header paging, the typed calls of ../shared/WEBEX-API.md and the
// *APIError they return.
//
// A Client is safe for concurrent use. Every request goes through one shared
// adaptive rate limiter and one retry loop (retry.go): 429 and 423 honour
// Retry-After, 5xx and network failures back off exponentially with jitter
// under a maximum elapsed time, and a 401 refreshes the token once and
// replays the request. Creating a device is not idempotent, so it is never
// replayed blindly: after an unknown outcome the client looks the MAC up and
// only creates again when the first attempt did not land.
//
// The package is silent: it logs at Debug through the injected *slog.Logger
// and never logs or returns tokens, client secrets, SIP passwords or request
// bodies.
package webex
