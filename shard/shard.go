// Package shard owns shard selection: which devices of an inventory one of N
// cooperating processes (a Kubernetes Indexed Job's pods, say) works on.
//
// A shard is written K/N with K counted from 0, as Kubernetes counts
// JOB_COMPLETION_INDEX: the shards of a 4-way split are 0/4, 1/4, 2/4 and
// 3/4. A device belongs to shard K/N when the 64-bit FNV-1a hash of its MAC
// in canonical form (12 upper-case hex digits, macaddr's rule), taken modulo
// N, is K. That rule is part of the run directory's contract: a shard's run
// directory written by one version must select the same devices in the
// next, so it never changes.
package shard

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/cutover-dev/cutover/macaddr"
)

// MaxN is the largest number of shards accepted: Kubernetes caps an
// Indexed Job's completions at 100,000, and more shards than that would
// leave most of them empty for any real fleet.
const MaxN = 100000

// ErrInvalid is wrapped by every error Parse returns.
var ErrInvalid = errors.New("invalid shard")

// Spec is one shard of a split. The zero Spec selects every device (no
// sharding).
type Spec struct {
	// K is the shard's index, 0 to N-1.
	K int
	// N is the number of shards; 0 in the zero Spec.
	N int
}

// Parse reads "K/N" (K from 0 to N-1, N from 1 to MaxN; spaces around the
// numbers are ignored). An empty string is the zero Spec: every device. The
// error wraps ErrInvalid and says what was expected.
func Parse(s string) (Spec, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return Spec{}, nil
	}
	ks, ns, ok := strings.Cut(t, "/")
	if !ok {
		return Spec{}, fmt.Errorf("%w %.40q: expected K/N, e.g. 0/4 (K counts from 0, as JOB_COMPLETION_INDEX does)", ErrInvalid, s)
	}
	n, err := strconv.Atoi(strings.TrimSpace(ns))
	if err != nil || n < 1 || n > MaxN {
		return Spec{}, fmt.Errorf("%w %.40q: N must be a whole number from 1 to %d", ErrInvalid, s, MaxN)
	}
	k, err := strconv.Atoi(strings.TrimSpace(ks))
	if err != nil || k < 0 || k >= n {
		hint := ""
		if err == nil && k == n {
			hint = " (K counts from 0: the last of " + strconv.Itoa(n) + " shards is " + strconv.Itoa(n-1) + "/" + strconv.Itoa(n) + ")"
		}
		return Spec{}, fmt.Errorf("%w %.40q: K must be a whole number from 0 to %d%s", ErrInvalid, s, n-1, hint)
	}
	return Spec{K: k, N: n}, nil
}

// String returns "K/N", or "" for the zero Spec.
func (s Spec) String() string {
	if s.N == 0 {
		return ""
	}
	return strconv.Itoa(s.K) + "/" + strconv.Itoa(s.N)
}

// All reports whether s selects every device: the zero Spec or 0/1.
func (s Spec) All() bool { return s.N <= 1 }

// Has reports whether the device with this MAC (any notation macaddr
// accepts) belongs to the shard. A string that is not a MAC is hashed as
// given, trimmed and upper-cased, so that it too lands in exactly one shard.
func (s Spec) Has(mac string) bool {
	if s.All() {
		return true
	}
	return Index(mac, s.N) == s.K
}

// Index returns the shard, 0 to n-1, that mac belongs to in a split of n
// (n ≥ 1): the FNV-1a 64-bit hash of its canonical form modulo n.
func Index(mac string, n int) int {
	if n <= 1 {
		return 0
	}
	key := strings.ToUpper(strings.TrimSpace(mac))
	if m, err := macaddr.Parse(mac); err == nil {
		key = string(m)
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	return int(h.Sum64() % uint64(n))
}

// Share returns the part of a rate (requests a second) that one shard may
// use so that all N together stay inside it: total/N; total for the zero
// Spec.
func (s Spec) Share(total float64) float64 {
	if s.N <= 1 {
		return total
	}
	return total / float64(s.N)
}
