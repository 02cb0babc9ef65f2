package device

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"
)

// Sentinel errors a caller branches on. Errors from a device wrap one of
// them (errors.Is) and usually a *TargetError naming the SBC and, for an
// answer, a *StatusError.
var (
	// ErrTLSHandshake: the TLS handshake failed: a refused protocol version,
	// a certificate that does not verify, or a broken handshake.
	ErrTLSHandshake = errors.New("TLS handshake failed")
	// ErrAuthRejected: the registrar refused the credentials (a 401 or 407
	// after credentials were sent, or a 403).
	ErrAuthRejected = errors.New("credentials rejected")
	// ErrTimeout: no answer within the per-target deadline.
	ErrTimeout = errors.New("no answer before the deadline")
	// ErrUnreachable: the target could not be connected to (refused,
	// unresolvable, or marked down by the caller).
	ErrUnreachable = errors.New("unreachable")
	// ErrNoTargets: SRV and the configured proxies gave nothing to try.
	ErrNoTargets = errors.New("no SBC targets")
	// ErrNotRegistered: the operation needs a registration first.
	ErrNotRegistered = errors.New("not registered")
	// ErrCallNotRouted: the SBC does not route calls between devices (404,
	// 480, 403 or 405/501 to an INVITE).
	ErrCallNotRouted = errors.New("call not routed")
)

// StatusError is a final SIP response that ended an operation.
type StatusError struct {
	Method string
	Code   int
	Reason string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s answered %d %s", e.Method, e.Code, e.Reason)
}

// TargetError says which SBC target an error came from.
type TargetError struct {
	Target Target
	Err    error
}

func (e *TargetError) Error() string { return e.Target.String() + ": " + e.Err.Error() }
func (e *TargetError) Unwrap() error { return e.Err }

// classify maps a transport or transaction error to the package's
// sentinels. parent is the caller's context: its cancellation is returned
// as is, while a per-target deadline becomes ErrTimeout.
func classify(parent context.Context, err error) error {
	if err == nil {
		return nil
	}
	if parent.Err() != nil {
		return parent.Err()
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTimeout) || isNetTimeout(err) {
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	if errors.Is(err, ErrTLSHandshake) || errors.Is(err, ErrUnreachable) || errors.Is(err, ErrAuthRejected) {
		return err
	}
	var (
		cv  *tls.CertificateVerificationError
		ae  tls.AlertError
		rhe tls.RecordHeaderError
	)
	if errors.As(err, &cv) || errors.As(err, &ae) || errors.As(err, &rhe) || strings.Contains(err.Error(), "TLS handshake") {
		return fmt.Errorf("%w: %w", ErrTLSHandshake, unwrapSipgo(err))
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) || strings.Contains(err.Error(), "dial") {
		return fmt.Errorf("%w: %w", ErrUnreachable, unwrapSipgo(err))
	}
	return err
}

func isNetTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// unwrapSipgo drops sipgo's own "TLS handshake error:" / "dial TCP error:"
// prefix so that messages read once.
func unwrapSipgo(err error) error {
	msg := err.Error()
	if strings.HasPrefix(msg, "TLS handshake error: ") || strings.HasPrefix(msg, "dial TCP error: ") {
		if u := errors.Unwrap(err); u != nil {
			return u
		}
	}
	return err
}

// Cert problem kinds CertIssue reports.
const (
	CertHostname  = "hostname"  // the certificate is for another host name
	CertExpired   = "expired"   // outside its validity window
	CertUntrusted = "untrusted" // the chain does not reach a root of the trust store
	CertOther     = "other"
)

// CertProblem explains why a peer certificate did not verify, in words a
// certification report can show ("certificate expired at ...", "certificate
// is for sbc9.example, not sbc1.example"); "" when err is no verification
// error.
func CertProblem(err error) string {
	_, text := CertIssue(err)
	return text
}

// CertIssue is CertProblem with the kind of problem (CertHostname,
// CertExpired, CertUntrusted, CertOther); "", "" for no verification error.
func CertIssue(err error) (kind, text string) {
	var cv *tls.CertificateVerificationError
	if !errors.As(err, &cv) {
		return "", ""
	}
	var (
		hn  x509.HostnameError
		hnp *x509.HostnameError
		ua  x509.UnknownAuthorityError
		uap *x509.UnknownAuthorityError
		ci  x509.CertificateInvalidError
		cip *x509.CertificateInvalidError
	)
	switch {
	case errors.As(cv.Err, &hn):
		return CertHostname, hostnameProblem(hn)
	case errors.As(cv.Err, &hnp):
		return CertHostname, hostnameProblem(*hnp)
	case errors.As(cv.Err, &ua), errors.As(cv.Err, &uap):
		issuer := ""
		if len(cv.UnverifiedCertificates) > 0 {
			issuer = cv.UnverifiedCertificates[len(cv.UnverifiedCertificates)-1].Issuer.CommonName
		}
		return CertUntrusted, fmt.Sprintf("certificate chain does not reach a trusted root (top issuer %q)", issuer)
	case errors.As(cv.Err, &ci), errors.As(cv.Err, &cip):
		if cip != nil {
			ci = *cip
		}
		if ci.Reason == x509.Expired && len(cv.UnverifiedCertificates) > 0 {
			leaf := cv.UnverifiedCertificates[0]
			now := time.Now()
			if now.Before(leaf.NotBefore) {
				return CertExpired, fmt.Sprintf("certificate %q is not valid before %s", leaf.Subject.CommonName, leaf.NotBefore.UTC().Format(time.RFC3339))
			}
			return CertExpired, fmt.Sprintf("certificate %q expired at %s", leaf.Subject.CommonName, leaf.NotAfter.UTC().Format(time.RFC3339))
		}
		return CertOther, ci.Error()
	}
	return CertOther, cv.Err.Error()
}

func hostnameProblem(h x509.HostnameError) string {
	names := append([]string(nil), h.Certificate.DNSNames...)
	for _, ip := range h.Certificate.IPAddresses {
		names = append(names, ip.String())
	}
	return fmt.Sprintf("certificate is for %s, not %s", strings.Join(names, ", "), h.Host)
}

// Cause is the plain reason at the bottom of a device error, for reports:
// "connection refused", "remote error: tls: protocol version not
// supported", "certificate is for a.example, not b.example", "REGISTER
// answered 503 Service Unavailable", "no answer before the deadline".
func Cause(err error) string {
	if err == nil {
		return ""
	}
	if p := CertProblem(err); p != "" {
		return p
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTimeout) {
		return ErrTimeout.Error()
	}
	var (
		ae  tls.AlertError
		rhe tls.RecordHeaderError
		de  *net.DNSError
		se2 syscall.Errno
	)
	switch {
	case errors.As(err, &ae):
		return "remote error: " + ae.Error()
	case errors.As(err, &rhe):
		return rhe.Error()
	case errors.As(err, &de):
		return de.Error()
	case errors.As(err, &se2):
		return se2.Error()
	}
	var te *TargetError
	if errors.As(err, &te) {
		err = te.Err
	}
	msg := err.Error()
	for _, s := range []error{ErrTLSHandshake, ErrUnreachable, ErrAuthRejected, ErrCallNotRouted} {
		msg = strings.TrimPrefix(msg, s.Error()+": ")
	}
	return msg
}
