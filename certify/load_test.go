package certify_test

import (
	"crypto/tls"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/render"
	"github.com/cutover-dev/cutover/simulator/device"
	"github.com/cutover-dev/cutover/simulator/device/devicetest"
)

// writeRun renders devices as migrate would publish them and writes the
// plan that names them.
func writeRun(t *testing.T, devs ...render.Device) string {
	t.Helper()
	dir := t.TempDir()
	// The configs trust the lab CA the lab SBCs chain to, as a partner's
	// trust IdenTrust: a phone that installs only IdenTrust (Poly, whose SIP
	// TLS profile trusts only the installed root) refuses the lab SBC.
	ca, err := devicetest.CA()
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.New(render.WithTrustRoot(render.TrustRoot{
		Name: ca.Certificate().Subject.CommonName, File: "lab-ca.pem", PEM: string(ca.CertPEM()),
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "configs"), 0o700); err != nil {
		t.Fatal(err)
	}
	var plan struct {
		Devices []map[string]string `json:"devices"`
	}
	for _, d := range devs {
		files, err := r.Render(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(dir, "configs", f.Name), f.Data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		plan.Devices = append(plan.Devices, map[string]string{
			"mac": d.Info.MAC, "make": d.Make, "model": d.Model, "vendor": d.Vendor, "action": "create"})
	}
	plan.Devices = append(plan.Devices, map[string]string{"mac": "0004F2FFFFFF", "make": "Poly", "model": "VVX450", "vendor": "poly", "action": "conflict"})
	b, _ := json.Marshal(plan)
	if err := os.WriteFile(filepath.Join(dir, "plan.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func sample(mac, make, model, vendor, user, password string) render.Device {
	return render.Device{
		Info: render.DeviceInfo{
			MAC: mac, Model: "DMS " + model, DeviceID: "id-" + mac, SIPUserName: user,
			OutboundProxy: "sbc.acme.example", Domain: "acme.calls.example",
			Lines: []render.LineInfo{{Port: 1, LinePort: user + "@acme.calls.example", PrimaryOwner: true}},
		},
		Make: make, Model: model, Vendor: vendor, Password: password,
	}
}

func TestFromRunDirThenCertify(t *testing.T) {
	dir := writeRun(t,
		sample("001565A1B2C3", "Yealink", "T57W", render.VendorYealink, "acme_a1b2c3", "Xy7#pQ2!vR9z"),
		sample("0004F2A1B2C4", "Poly", "VVX450", render.VendorPoly, "acme_a1b2c4", "Pq4$zz8!Lm"),
	)
	targets, err := certify.FromRunDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 2 {
		t.Fatalf("%d targets, want the 2 migrated devices", len(targets))
	}
	c := targets[0].Config
	if targets[0].Make != "Yealink" || c.User == "" || c.Domain != "acme.calls.example" || c.Password != "Xy7#pQ2!vR9z" || c.SRVDomain != "sbc.acme.example" {
		t.Fatalf("config read back: %+v", c)
	}
	// The published configs register against the lab once --sbc points there.
	l := devicetest.Start(t)
	for _, tg := range targets {
		l.Users.Set(tg.Config.AuthUser, tg.Config.Password)
	}
	o := options(l, nil)
	o.Cases = []string{certify.CaseRegister, certify.CaseUserAgent, certify.CaseCall, certify.CaseUnregister}
	for _, r := range run(t, targets, o) {
		if r.Outcome != certify.Pass {
			t.Errorf("%s %s: %s", r.MAC, r.Case, r.Reason)
		}
	}
}

// TestFromRunDirMissingConfigFailsThatDevice: a device without a config is
// certified as failing every case, with why; it never stops the run.
func TestFromRunDirMissingConfigFailsThatDevice(t *testing.T) {
	dir := writeRun(t,
		sample("001565A1B2C3", "Yealink", "T57W", render.VendorYealink, "acme_a1b2c3", "Xy7#pQ2!vR9z"),
		sample("0004F2A1B2C4", "Poly", "VVX450", render.VendorPoly, "acme_a1b2c4", "Pq4$zz8!Lm"),
	)
	if err := os.Remove(filepath.Join(dir, "configs", "001565a1b2c3.cfg")); err != nil {
		t.Fatal(err)
	}
	targets, err := certify.FromRunDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 2 || targets[0].LoadErr == nil || !strings.Contains(targets[0].LoadErr.Error(), "no config published") || targets[1].LoadErr != nil {
		t.Fatalf("targets %+v", targets)
	}
	l := devicetest.Start(t)
	l.Users.Set(targets[1].Config.AuthUser, targets[1].Config.Password)
	o := options(l, nil)
	o.Cases = []string{certify.CaseRegister, certify.CasePasswordPolicy, certify.CaseUnregister}
	for _, r := range run(t, targets, o) {
		switch {
		case r.MAC == "001565A1B2C3" && (r.Outcome != certify.Fail || !strings.Contains(r.Reason, "no config published")):
			t.Errorf("device without config: %s %s: %s", r.Case, r.Outcome, r.Reason)
		case r.MAC != "001565A1B2C3" && r.Outcome != certify.Pass:
			t.Errorf("device with config: %s %s: %s", r.Case, r.Outcome, r.Reason)
		}
	}
	if _, err := certify.FromRunDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "plan.json") {
		t.Fatalf("empty dir: %v", err)
	}
}

func TestFromInventory(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lab.csv")
	data := "mac,make,model,sip_user,sip_password,domain\n" +
		"00:15:65:a1:b2:c3,Yealink,T57W,2001,Gr8!secret1,example.test\n" +
		"0004.f2a1.b2c4,Poly,VVX450,2002,Gr8!secret2,example.test\n"
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	targets, err := certify.FromInventory(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 2 || targets[0].MAC != "001565A1B2C3" || targets[1].Config.User != "2002" || targets[1].Config.Password != "Gr8!secret2" {
		t.Fatalf("targets %+v", targets)
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("mac,make,model,sip_user,sip_password,domain\nnot-a-mac,Yealink,T57W,2001,Gr8!secret1,example.test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := certify.FromInventory(bad); err == nil || !strings.Contains(err.Error(), "bad.csv") {
		t.Fatalf("bad inventory: %v", err)
	}
}

// TestConfigFromRegistrationFollowsTheFirmware: what the reader recovers
// decides the simulated device's connection.
func TestConfigFromRegistrationFollowsTheFirmware(t *testing.T) {
	r, err := render.New()
	if err != nil {
		t.Fatal(err)
	}
	files, err := r.Render(sample("001565A1B2C3", "Yealink", "T57W", render.VendorYealink, "acme_a1b2c3", "Xy7#pQ2!vR9z"))
	if err != nil {
		t.Fatal(err)
	}
	weak := strings.NewReplacer(
		"static.security.default_ssl_method = 5", "static.security.default_ssl_method = 3",
		"static.security.trust_certificates = 1", "static.security.trust_certificates = 0",
		"account.1.sip_server.1.transport_type = 2", "account.1.sip_server.1.transport_type = 1",
		"account.1.outbound_proxy.1.port = 0", "account.1.outbound_proxy.1.port = 5061",
	).Replace(string(files[0].Data))
	for _, c := range []struct {
		data string
		want device.Config
	}{
		{string(files[0].Data), device.Config{Transport: "tls", TLSMin: tls.VersionTLS12, TLSMax: tls.VersionTLS12, DNS: device.DNSSRV, SRVDomain: "sbc.acme.example"}},
		{weak, device.Config{Transport: "tcp", TLSMin: tls.VersionTLS10, TLSMax: tls.VersionTLS12, NoVerify: true, DNS: device.DNSA, Proxies: []string{"sbc.acme.example:5061"}}},
	} {
		reg, err := render.Read(render.VendorYealink, files[0].Name, []byte(c.data))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := certify.ConfigFromRegistration(reg, "001565A1B2C3", "Yealink", "T57W")
		if err != nil {
			t.Fatal(err)
		}
		got := device.Config{Transport: cfg.Transport, TLSMin: cfg.TLSMin, TLSMax: cfg.TLSMax, NoVerify: cfg.NoVerify, DNS: cfg.DNS, SRVDomain: cfg.SRVDomain, Proxies: cfg.Proxies}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("device config %+v, want %+v", got, c.want)
		}
	}
}
