package sbc

import (
	"sync"
	"testing"
)

// bindingLog collects what the binding hook reports.
type bindingLog struct {
	mu  sync.Mutex
	evs []BindingChange
}

func (l *bindingLog) add(ev BindingChange) {
	l.mu.Lock()
	l.evs = append(l.evs, ev)
	l.mu.Unlock()
}

func (l *bindingLog) all() []BindingChange {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]BindingChange(nil), l.evs...)
}

// The hook hears a registration (with its digest user and expiry), an
// unregistration, and the bindings dropped when the SBC goes down; a
// REGISTER with a wrong password reports nothing.
func TestBindingHook(t *testing.T) {
	var log bindingLog
	s := startSBC(t, WithBindingHook(log.add))
	d := newDevice(t, s.Addr(), testUser, clientTLS(t, 0, 0))

	if res, err := d.register("not-the-password", "600"); err != nil || res.StatusCode == 200 {
		t.Fatalf("wrong password: %v %v, want a rejection", res, err)
	}
	if evs := log.all(); len(evs) != 0 {
		t.Fatalf("wrong password reported %+v, want nothing", evs)
	}

	if res, err := d.register(testPassword, "600"); err != nil || res.StatusCode != 200 {
		t.Fatalf("register: %v %v", res, err)
	}
	evs := log.all()
	if len(evs) != 1 || evs[0].AuthUser != testUser || evs[0].Registrar != s.Addr() || evs[0].Expires.IsZero() || evs[0].Contact == "" {
		t.Fatalf("after register: %+v, want one live binding of %s at %s", evs, testUser, s.Addr())
	}
	if res, err := d.register(testPassword, "0"); err != nil || res.StatusCode != 200 {
		t.Fatalf("unregister: %v %v", res, err)
	}
	evs = log.all()
	if len(evs) != 2 || !evs[1].Expires.IsZero() || evs[1].Contact != evs[0].Contact {
		t.Fatalf("after unregister: %+v, want the binding removed", evs)
	}

	if res, err := d.register(testPassword, "600"); err != nil || res.StatusCode != 200 {
		t.Fatalf("register again: %v %v", res, err)
	}
	if err := s.SetFault(Fault{Down: true}); err != nil {
		t.Fatal(err)
	}
	evs = log.all()
	last := evs[len(evs)-1]
	if len(evs) != 4 || last.AuthUser != testUser || !last.Expires.IsZero() {
		t.Fatalf("after going down: %+v, want the live binding reported dropped", evs)
	}
}
