package webex

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Sentinels that callers branch on with errors.Is. An *APIError matches the
// one its status code stands for.
var (
	ErrInvalid      = errors.New("invalid request")     // 400
	ErrUnauthorized = errors.New("unauthorized")        // 401 after the refresh-once retry, or a refused credential
	ErrForbidden    = errors.New("forbidden")           // 403: scope or role missing, or org not authorised
	ErrNotFound     = errors.New("not found")           // 404
	ErrConflict     = errors.New("conflict")            // 409, and a MAC in use
	ErrRateLimited  = errors.New("rate limited")        // 429 or 423 still refused when the retry budget ran out
	ErrUnavailable  = errors.New("service unavailable") // 5xx still failing when the retry budget ran out
	ErrMACInUse     = errors.New("MAC address in use")  // error 5675 on create (409 or 400)
)

// errorMACInUse is the Webex error code for "MAC address is already in use".
const errorMACInUse = 5675

// APIError is a Webex error response. Its text never holds a token, a secret
// or a query string: Path is the API path without the query, and message
// texts that echo a secret sent in the request are masked.
type APIError struct {
	StatusCode   int
	Method, Path string // e.g. "POST", "/devices" (relative to the base URL)
	Message      string
	Descriptions []string
	ErrorCodes   []int
	TrackingID   string // the Trackingid response header (or the body's trackingId)
	// Hint says which credential to renew; set on a 401 that survived a
	// token refresh.
	Hint string
}

// Error reads like "POST /devices: 409 Conflict: MAC address is already in use (tracking ROUTER_...)".
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Method)
	b.WriteByte(' ')
	b.WriteString(e.Path)
	b.WriteString(": ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteByte(' ')
		b.WriteString(t)
	}
	parts := make([]string, 0, 1+len(e.Descriptions))
	if e.Message != "" {
		parts = append(parts, e.Message)
	}
	for _, d := range e.Descriptions {
		if d != "" && !slices.Contains(parts, d) {
			parts = append(parts, d)
		}
	}
	if len(parts) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(parts, "; "))
	}
	if e.TrackingID != "" {
		b.WriteString(" (tracking ")
		b.WriteString(e.TrackingID)
		b.WriteByte(')')
	}
	if e.Hint != "" {
		b.WriteString(": ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Is lets errors.Is match the sentinel of the status code: ErrInvalid,
// ErrUnauthorized, ErrForbidden, ErrNotFound, ErrConflict, ErrRateLimited
// (429 and 423), ErrUnavailable (5xx) and ErrMACInUse.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrInvalid:
		return e.StatusCode == http.StatusBadRequest
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict || e.macInUse()
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests || e.StatusCode == http.StatusLocked
	case ErrUnavailable:
		return e.StatusCode >= 500
	case ErrMACInUse:
		return e.macInUse()
	}
	return false
}

// macInUse reports error 5675, given as an errorCode or, as some answers do,
// only in the text.
func (e *APIError) macInUse() bool {
	if e.StatusCode != http.StatusBadRequest && e.StatusCode != http.StatusConflict {
		return false
	}
	if slices.Contains(e.ErrorCodes, errorMACInUse) {
		return true
	}
	code := strconv.Itoa(errorMACInUse)
	if strings.Contains(e.Message, code) {
		return true
	}
	for _, d := range e.Descriptions {
		if strings.Contains(d, code) {
			return true
		}
	}
	return false
}

// CredentialError is returned when no access token could be obtained: the
// refresh token or the Service App's parent token was refused, or the token
// endpoint could not be reached. Rejected errors match ErrUnauthorized (or
// ErrForbidden when the org has not authorised a Service App) and are fatal.
type CredentialError struct {
	Op   string // "refreshing access token", "minting Service App token"
	Hint string // which credential to renew
	Err  error  // never holds the token endpoint's body
	// Status is the token endpoint's HTTP status, 0 for a network error.
	Status int
	// Code is the OAuth error code (invalid_grant, invalid_client, ...).
	Code string
}

func (e *CredentialError) Error() string {
	s := e.Op + ": " + e.Err.Error()
	if e.Hint != "" && e.rejected() {
		s += ": " + e.Hint
	}
	return s
}

func (e *CredentialError) Unwrap() error { return e.Err }

// Is matches ErrUnauthorized for a refused credential and ErrForbidden for
// a 403; a network error or a 5xx matches ErrUnavailable.
func (e *CredentialError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.rejected() && e.Status != http.StatusForbidden
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	case ErrUnavailable:
		return !e.rejected()
	}
	return false
}

// rejected is a definite refusal (4xx or an OAuth error code), as opposed to
// a transient failure worth retrying.
func (e *CredentialError) rejected() bool {
	return e.Code != "" || (e.Status >= 400 && e.Status < 500 && e.Status != http.StatusTooManyRequests)
}

// IsFatal reports errors after which a batch must stop: a credential that
// is refused even after a refresh (401), a missing scope or role (403), and
// an API that was never reachable (*UnreachableError).
func IsFatal(err error) bool {
	var ue *UnreachableError
	return errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrForbidden) || errors.As(err, &ue)
}

// UnreachableError is a base URL whose host refused the connection or did
// not resolve before the client ever had an answer from it: a wrong URL or
// a server that is down, reported at once instead of after the retry budget.
type UnreachableError struct {
	URL string // the base URL, without credentials
	Err error
}

func (e *UnreachableError) Error() string { return "cannot reach " + e.URL + ": " + e.Err.Error() }
func (e *UnreachableError) Unwrap() error { return e.Err }

// mask replaces every occurrence of the given secrets in s.
func mask(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}
