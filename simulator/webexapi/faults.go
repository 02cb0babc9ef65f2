package webexapi

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Faults are the failure switches of the emulator. The zero value is a
// healthy server. Every ratio is a probability in [0, 1] drawn per request
// from the server's seeded random source.
type Faults struct {
	// Rate limits requests per second (a token bucket); excess requests get
	// 429 with Retry-After. Zero means unlimited.
	Rate float64
	// Burst is the bucket size; zero means max(1, ceil(Rate)).
	Burst int
	// ErrorRatio of requests get 500, 502 or 503 before reaching the API.
	ErrorRatio float64
	// LatencyMin and LatencyMax delay each request by a uniform draw in
	// [LatencyMin, LatencyMax]. A create waits while it holds its owner, so
	// latency widens the per-owner race window.
	LatencyMin, LatencyMax time.Duration
	// DropRatio of requests have their connection closed without an answer.
	DropRatio float64
	// CommitThenFail is the ratio of creates and updates (POST /devices,
	// PUT settings, PUT members) that are stored but answered with a 502 or a
	// dropped connection.
	CommitThenFail float64
	// CreateEmptyBody is the ratio of successful creates (POST /devices)
	// answered 200 with an empty body, as Webex does for some models
	// (reported by wxc_sdk and wxcadm): the device exists but the caller
	// does not learn its id.
	CreateEmptyBody float64
	// TokenTTL, when set, makes every access token expire TokenTTL after it
	// was issued, including tokens issued before the fault was set.
	TokenTTL time.Duration
}

// ParseFaults reads a fault spec: comma-separated key=value items among
//
//	rate=50               requests per second (token bucket), 429 beyond
//	burst=10              bucket size (default: ceil(rate))
//	error=0.3             ratio of 500/502/503 answers
//	latency=5ms-200ms     uniform delay (or one duration: latency=20ms)
//	drop=0.05             ratio of connections closed without an answer
//	commit-then-fail=0.1  ratio of creates/updates stored but answered 502 or reset
//	create-empty-body=0.5 ratio of creates stored and answered 200 with an empty body
//	token-ttl=30s         access tokens expire this long after issue
//
// "" and "none" mean no faults. Errors name the item and what was expected.
func ParseFaults(spec string) (Faults, error) {
	var f Faults
	spec = strings.TrimSpace(spec)
	if spec == "" || spec == "none" {
		return f, nil
	}
	for i, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		key, val, ok := strings.Cut(item, "=")
		bad := func(want string) error {
			return fmt.Errorf("parsing faults %q: item %d %q: expected %s", spec, i+1, item, want)
		}
		if !ok {
			return f, bad("key=value")
		}
		key, val = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(val)
		ratio := func(dst *float64) error {
			r, err := strconv.ParseFloat(val, 64)
			if err != nil || math.IsNaN(r) || r < 0 || r > 1 {
				return bad("a ratio between 0 and 1")
			}
			*dst = r
			return nil
		}
		var err error
		switch key {
		case "rate":
			r, perr := strconv.ParseFloat(val, 64)
			if perr != nil || math.IsNaN(r) || math.IsInf(r, 0) || r < 0 {
				return f, bad("a non-negative number of requests per second")
			}
			f.Rate = r
		case "burst":
			b, perr := strconv.Atoi(val)
			if perr != nil || b < 0 {
				return f, bad("a non-negative whole number")
			}
			f.Burst = b
		case "error", "errors":
			err = ratio(&f.ErrorRatio)
		case "drop":
			err = ratio(&f.DropRatio)
		case "commit-then-fail":
			err = ratio(&f.CommitThenFail)
		case "create-empty-body":
			err = ratio(&f.CreateEmptyBody)
		case "latency":
			lo, hi, found := strings.Cut(val, "-")
			if !found {
				hi = lo
			}
			dlo, e1 := time.ParseDuration(strings.TrimSpace(lo))
			dhi, e2 := time.ParseDuration(strings.TrimSpace(hi))
			if e1 != nil || e2 != nil || dlo < 0 || dhi < dlo {
				return f, bad("a duration or a range MIN-MAX such as 5ms-200ms")
			}
			f.LatencyMin, f.LatencyMax = dlo, dhi
		case "token-ttl":
			d, perr := time.ParseDuration(val)
			if perr != nil || d <= 0 {
				return f, bad("a positive duration such as 30s")
			}
			f.TokenTTL = d
		default:
			return f, bad("one of rate, burst, error, latency, drop, commit-then-fail, create-empty-body, token-ttl")
		}
		if err != nil {
			return f, err
		}
	}
	return f, nil
}

// String renders f in ParseFaults' syntax ("none" for the zero value).
func (f Faults) String() string {
	var items []string
	if f.Rate > 0 {
		items = append(items, "rate="+strconv.FormatFloat(f.Rate, 'g', -1, 64))
	}
	if f.Burst > 0 {
		items = append(items, "burst="+strconv.Itoa(f.Burst))
	}
	if f.ErrorRatio > 0 {
		items = append(items, "error="+strconv.FormatFloat(f.ErrorRatio, 'g', -1, 64))
	}
	if f.LatencyMax > 0 {
		items = append(items, "latency="+f.LatencyMin.String()+"-"+f.LatencyMax.String())
	}
	if f.DropRatio > 0 {
		items = append(items, "drop="+strconv.FormatFloat(f.DropRatio, 'g', -1, 64))
	}
	if f.CommitThenFail > 0 {
		items = append(items, "commit-then-fail="+strconv.FormatFloat(f.CommitThenFail, 'g', -1, 64))
	}
	if f.CreateEmptyBody > 0 {
		items = append(items, "create-empty-body="+strconv.FormatFloat(f.CreateEmptyBody, 'g', -1, 64))
	}
	if f.TokenTTL > 0 {
		items = append(items, "token-ttl="+f.TokenTTL.String())
	}
	if len(items) == 0 {
		return "none"
	}
	return strings.Join(items, ",")
}
