package sbc

import (
	"fmt"
	"strings"
	"time"
)

// DefaultRetryAfter is the Retry-After of the Register503 fault when its
// RetryAfter is zero.
const DefaultRetryAfter = 30 * time.Second

// Fault is the set of failures the SBC currently injects. The zero Fault is
// a healthy SBC. Faults combine: Slow with Register503 delays the 503.
type Fault struct {
	// Down closes the listener and every open connection: new connections
	// are refused and registered devices lose their TLS connection.
	// Clearing it listens again on the same address (failback).
	Down bool
	// Register503 answers every REGISTER with 503 Service Unavailable and a
	// Retry-After of RetryAfter (DefaultRetryAfter when zero).
	Register503 bool
	RetryAfter  time.Duration
	// Slow delays every answer (REGISTER, OPTIONS, INVITE, BYE) by this much.
	Slow time.Duration
	// TLS13Only pins new handshakes to TLS 1.3, so a TLS 1.2 client fails.
	TLS13Only bool
	// WrongHostCert presents a certificate from the same CA issued for
	// another host name, so host name verification fails.
	WrongHostCert bool
	// ExpiredCert presents a certificate from the same CA whose validity
	// ended yesterday.
	ExpiredCert bool
}

// IsZero reports whether f injects nothing.
func (f Fault) IsZero() bool { return f == Fault{} }

// String renders f in the syntax ParseFaults reads ("none" when healthy).
func (f Fault) String() string {
	var parts []string
	if f.Down {
		parts = append(parts, "down")
	}
	if f.Register503 {
		if f.RetryAfter > 0 {
			parts = append(parts, "503="+f.RetryAfter.String())
		} else {
			parts = append(parts, "503")
		}
	}
	if f.Slow > 0 {
		parts = append(parts, "slow="+f.Slow.String())
	}
	if f.TLS13Only {
		parts = append(parts, "tls13")
	}
	if f.WrongHostCert {
		parts = append(parts, "wrong-host")
	}
	if f.ExpiredCert {
		parts = append(parts, "expired")
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}

// ParseFaults reads a comma-separated fault list: down, 503 (or 503=DUR for
// the Retry-After), slow=DUR, tls13, wrong-host, expired, none. The empty
// string is no fault.
func ParseFaults(spec string) (Fault, error) {
	var f Fault
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		name, val, hasVal := strings.Cut(item, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		val = strings.TrimSpace(val)
		dur := func() (time.Duration, error) {
			d, err := time.ParseDuration(val)
			if err != nil || d <= 0 {
				return 0, fmt.Errorf("fault %q: expected a positive duration like 2s", item)
			}
			return d, nil
		}
		noVal := func() error {
			if hasVal {
				return fmt.Errorf("fault %q: %s takes no value", item, name)
			}
			return nil
		}
		var err error
		switch name {
		case "", "none":
			err = noVal()
		case "down":
			f.Down, err = true, noVal()
		case "503", "register503":
			f.Register503 = true
			if hasVal {
				f.RetryAfter, err = dur()
			}
		case "slow":
			if !hasVal {
				return Fault{}, fmt.Errorf("fault %q: slow needs a delay, like slow=2s", item)
			}
			f.Slow, err = dur()
		case "tls13", "tls13only", "tls13-only":
			f.TLS13Only, err = true, noVal()
		case "wrong-host", "wronghost", "wrong-host-cert":
			f.WrongHostCert, err = true, noVal()
		case "expired", "expired-cert":
			f.ExpiredCert, err = true, noVal()
		default:
			return Fault{}, fmt.Errorf("unknown fault %q: expected down, 503[=DUR], slow=DUR, tls13, wrong-host, expired or none", item)
		}
		if err != nil {
			return Fault{}, err
		}
	}
	if f.WrongHostCert && f.ExpiredCert {
		return Fault{}, fmt.Errorf("faults %q: wrong-host and expired cannot be combined (one certificate is presented)", spec)
	}
	return f, nil
}
