package sbc

import (
	"errors"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"time"
)

// Binding is one registered contact of an address-of-record.
type Binding struct {
	User       string    `json:"user"`       // AOR user part (the To header's user)
	AuthUser   string    `json:"authUser"`   // the digest user name that registered it
	AOR        string    `json:"aor"`        // the To URI, e.g. sips:1001@example.test
	Contact    string    `json:"contact"`    // the Contact URI as registered
	Source     string    `json:"source"`     // remote address of the connection it arrived on
	Transport  string    `json:"transport"`  // TLS
	UserAgent  string    `json:"userAgent"`  // the User-Agent header of the last REGISTER
	CallID     string    `json:"callId"`     // Call-ID of the last REGISTER
	CSeq       uint32    `json:"cseq"`       // CSeq of the last REGISTER
	Registered time.Time `json:"registered"` // first registration of this contact
	Refreshed  time.Time `json:"refreshed"`  // last successful REGISTER
	Expires    time.Time `json:"expires"`
}

// registry shards bindings by AOR user so that thousands of devices
// registering at once contend on 1/64th of the locks, never a global one.
type registry struct {
	seed   maphash.Seed
	shards [64]regShard
}

type regShard struct {
	mu sync.RWMutex
	// aors maps user -> contact URI -> binding.
	aors map[string]map[string]*Binding
	// lastUA keeps each user's last User-Agent, kept after unregistering
	// so that a certification run can check it afterwards.
	lastUA map[string]string
}

func newRegistry() *registry {
	r := &registry{seed: maphash.MakeSeed()}
	for i := range r.shards {
		r.shards[i].aors = make(map[string]map[string]*Binding)
		r.shards[i].lastUA = make(map[string]string)
	}
	return r
}

func (r *registry) shard(user string) *regShard {
	return &r.shards[maphash.String(r.seed, user)&63]
}

// register applies one REGISTER's contact changes for user atomically and
// returns the AOR's live bindings afterwards. expires 0 removes a contact;
// wildcard removes every contact.
func (r *registry) register(now time.Time, user string, changes []contactChange, wildcard bool, b Binding) ([]Binding, error) {
	sh := r.shard(user)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	aor := sh.aors[user]
	// RFC 3261 10.3 step 7: a request with a binding's Call-ID must carry
	// a higher CSeq, or it is an old or replayed request and fails whole.
	for _, ch := range changes {
		if old, ok := aor[ch.contact]; ok && old.CallID == b.CallID && b.CSeq <= old.CSeq && old.Expires.After(now) {
			return nil, errCSeqOrder
		}
	}
	if b.UserAgent != "" {
		sh.lastUA[user] = b.UserAgent
	}
	if wildcard {
		delete(sh.aors, user)
		return nil, nil
	}
	if aor == nil {
		aor = make(map[string]*Binding, 1)
		sh.aors[user] = aor
	}
	for _, ch := range changes {
		if ch.expires <= 0 {
			delete(aor, ch.contact)
			continue
		}
		nb := b
		nb.Contact = ch.contact
		nb.Refreshed = now
		nb.Registered = now
		nb.Expires = now.Add(ch.expires)
		if old, ok := aor[ch.contact]; ok && old.Expires.After(now) {
			nb.Registered = old.Registered
		}
		aor[ch.contact] = &nb
	}
	live := make([]Binding, 0, len(aor))
	for c, bb := range aor {
		if !bb.Expires.After(now) {
			delete(aor, c)
			continue
		}
		live = append(live, *bb)
	}
	if len(aor) == 0 {
		delete(sh.aors, user)
	}
	return live, nil
}

// errCSeqOrder rejects a REGISTER whose CSeq does not advance its binding's.
var errCSeqOrder = errors.New("CSeq not higher than the binding's for the same Call-ID")

type contactChange struct {
	contact string
	expires time.Duration
}

// lookup returns user's live bindings, most recently refreshed first.
func (r *registry) lookup(now time.Time, user string) []Binding {
	sh := r.shard(user)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	var out []Binding
	for _, b := range sh.aors[user] {
		if b.Expires.After(now) {
			out = append(out, *b)
		}
	}
	slices.SortFunc(out, func(a, b Binding) int { return b.Refreshed.Compare(a.Refreshed) })
	return out
}

func (r *registry) lastUserAgent(user string) (string, bool) {
	sh := r.shard(user)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	ua, ok := sh.lastUA[user]
	return ua, ok
}

// snapshot returns every live binding sorted by user then contact.
func (r *registry) snapshot(now time.Time) []Binding {
	var out []Binding
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.RLock()
		for _, aor := range sh.aors {
			for _, b := range aor {
				if b.Expires.After(now) {
					out = append(out, *b)
				}
			}
		}
		sh.mu.RUnlock()
	}
	slices.SortFunc(out, func(a, b Binding) int {
		if c := strings.Compare(a.User, b.User); c != 0 {
			return c
		}
		return strings.Compare(a.Contact, b.Contact)
	})
	return out
}

// sweep drops expired bindings and returns how many it dropped.
func (r *registry) sweep(now time.Time) int {
	n := 0
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		for user, aor := range sh.aors {
			for c, b := range aor {
				if !b.Expires.After(now) {
					delete(aor, c)
					n++
				}
			}
			if len(aor) == 0 {
				delete(sh.aors, user)
			}
		}
		sh.mu.Unlock()
	}
	return n
}

func (r *registry) clear() {
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		clear(sh.aors)
		sh.mu.Unlock()
	}
}
