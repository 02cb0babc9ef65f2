package watch_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/simulator/device"
	"github.com/cutover-dev/cutover/simulator/pki"
	"github.com/cutover-dev/cutover/simulator/sbc"
	"github.com/cutover-dev/cutover/simulator/webexapi"
	"github.com/cutover-dev/cutover/watch"
	"github.com/cutover-dev/cutover/webex"
)

type emulatorUsers struct{ emu *webexapi.Server }

func (u emulatorUsers) Lookup(user string) (string, bool) { return u.emu.DevicePassword(user) }

// End to end over SIP: an emulated SBC checking digest credentials against
// the Webex emulator reports bindings to it. The device registering with its
// own password turns connected; one registering with a wrong password stays
// never seen, and watch says so at its deadline; when the SBC goes down, the
// connected one turns disconnected.
func TestWatchSeesSIPRegistrations(t *testing.T) {
	l := newLab(t, 2, nil)
	ca, err := pki.NewCA("watch test CA")
	if err != nil {
		t.Fatal(err)
	}
	s, err := sbc.New(sbc.WithCA(ca), sbc.WithHosts("127.0.0.1"), sbc.WithUsers(emulatorUsers{l.emu}),
		sbc.WithBindingHook(func(b sbc.BindingChange) {
			l.emu.ObserveRegistration(webexapi.Registration{Registrar: b.Registrar, User: b.AuthUser, AOR: b.AOR, Contact: b.Contact, Expires: b.Expires})
		}))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	for _, d := range l.emu.Snapshot().Devices {
		pw, _ := l.emu.DevicePassword(d.ID)
		if d.MAC == "805EC0000002" {
			pw = "Wr0ng!password"
		}
		user, domain, _ := strings.Cut(d.LinePort, "@")
		dev, err := device.New(device.Config{MAC: d.MAC, Make: "Yealink", Model: "T54W", User: user, Domain: domain,
			AuthUser: d.SIPUserName, Password: pw, Proxies: []string{s.Addr()}},
			device.WithRoots(ca.Pool()), device.WithTimeout(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		defer dev.Close()
		_, err = dev.Register(t.Context())
		if wrong := d.MAC == "805EC0000002"; wrong != (err != nil) {
			t.Fatalf("%s registering (wrong password %v): %v", d.MAC, wrong, err)
		}
	}

	clk := newFakeTime()
	res, err := watch.Run(t.Context(), l.client, watch.Options{Dir: l.dir, Now: clk.Now, Sleep: clk.Sleep, Deadline: clk.Now()})
	if !errors.Is(err, watch.ErrDeadline) {
		t.Fatalf("watch: %v, want ErrDeadline (one device used a wrong password)", err)
	}
	if res.Counts.Of(watch.Connected) != 1 || len(res.NotConnected) != 1 ||
		res.NotConnected[0].MAC != "805EC0000002" || res.NotConnected[0].Bucket != watch.NeverSeen {
		t.Fatalf("result %+v %+v, want 805EC0000001 connected and 805EC0000002 never seen", res.Counts, res.NotConnected)
	}

	if err := s.SetFault(sbc.Fault{Down: true}); err != nil {
		t.Fatal(err)
	}
	if st, _ := l.emu.ConnectionStatus("805EC0000001"); st != webex.StatusDisconnected {
		t.Errorf("after the SBC went down: %s, want disconnected", st)
	}
}
