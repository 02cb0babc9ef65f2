package certify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/internal/identrust"
	"github.com/cutover-dev/cutover/internal/racecheck"
	"github.com/cutover-dev/cutover/render"
	"github.com/cutover-dev/cutover/simulator/device/devicetest"
)

// fleetDevice is one rendered device of the break tests.
type fleetDevice struct {
	dev   render.Device
	files []render.File
}

// breakFleet renders one device per vendor registering in the lab's domain
// through its SRV name, trusting the lab CA (installed as a vendor installs
// a custom CA; the Yealink URL is absolute, as documented).
func breakFleet(t *testing.T, users map[string]string) []fleetDevice {
	t.Helper()
	ca, err := devicetest.CA()
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.New(render.WithTrustRoot(render.TrustRoot{
		Name: ca.Certificate().Subject.CommonName, File: "https://prov.example.test/lab-ca.pem", PEM: string(ca.CertPEM()),
	}))
	if err != nil {
		t.Fatal(err)
	}
	specs := []struct{ mac, make, model, vendor string }{
		{"001565B00001", "Yealink", "T57W", render.VendorYealink},
		{"0004F2B00002", "Poly", "VVX450", render.VendorPoly},
		{"000B82B00003", "Grandstream", "GRP2614", render.VendorGrandstream},
		{"00908FB00004", "AudioCodes", "MP-114", render.VendorAudioCodes},
		{"001122B00005", "Acme", "SIP-1", render.VendorGeneric},
	}
	var out []fleetDevice
	for i, s := range specs {
		user := fmt.Sprintf("brk%d", 7001+i)
		pw := fmt.Sprintf("Br3ak!%dPw", i)
		users[user] = pw
		d := render.Device{
			Info: render.DeviceInfo{
				MAC: s.mac, Model: s.model, DeviceID: "id-" + s.mac, SIPUserName: user,
				OutboundProxy: devicetest.Domain, Domain: devicetest.Domain,
				Lines: []render.LineInfo{{Port: 1, LinePort: user + "@" + devicetest.Domain, PrimaryOwner: true}},
			},
			Make: s.make, Model: s.model, Vendor: s.vendor, Password: pw,
		}
		if s.vendor == render.VendorYealink || s.vendor == render.VendorGrandstream {
			// A second line: each line's own transport and DNS are judged.
			d.Info.Lines = append(d.Info.Lines, render.LineInfo{Port: 2, LinePort: user + "b@" + devicetest.Domain})
		}
		files, err := r.Render(d)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fleetDevice{dev: d, files: files})
	}
	return out
}

// breakage is one security-relevant parameter of one vendor, broken in its
// rendered config: the named case must turn red for that device.
type breakage struct {
	vendor, what string
	old, new     string // replaced in the device's last file, every occurrence
	red          []string
}

// xmlText is s as the templates escape it in XML.
func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func breakages(fleet []fleetDevice) []breakage {
	pw := map[string]string{}
	for _, f := range fleet {
		pw[f.dev.Vendor] = f.dev.Password
	}
	labCA, _ := devicetest.CA()
	labPEM := xmlText(string(labCA.CertPEM()))
	identrustPEM := xmlText(string(identrust.CommercialRootCA1))
	const tv, tc, dns, fb, reg = certify.CaseTLSVersion, certify.CaseTLSChain, certify.CaseDNSSRV, certify.CaseFailback, certify.CaseRegister
	return []breakage{
		{render.VendorYealink, "transport", "sip_server.1.transport_type = 2", "sip_server.1.transport_type = 1", []string{tv, reg}},
		{render.VendorYealink, "line 2 transport", "account.2.sip_server.1.transport_type = 2", "account.2.sip_server.1.transport_type = 0", []string{tv}},
		{render.VendorYealink, "line 2 DNS mode", "account.2.outbound_proxy.1.port = 0", "account.2.outbound_proxy.1.port = 5061", []string{dns}},
		{render.VendorYealink, "TLS floor", "default_ssl_method = 5", "default_ssl_method = 3", []string{tv}},
		{render.VendorYealink, "verification", "trust_certificates = 1", "trust_certificates = 0", []string{tc}},
		{render.VendorYealink, "CA", "trusted_certificates.url = https://prov.example.test/lab-ca.pem", "trusted_certificates.url = https://prov.example.test/other-ca.pem", []string{tc}},
		{render.VendorYealink, "DNS mode", "outbound_proxy.1.port = 0", "outbound_proxy.1.port = 5061", []string{dns, certify.CaseFailover}},
		{render.VendorYealink, "failback", "failback_timeout = 120", "failback_timeout = 30", []string{fb}},
		{render.VendorYealink, "password", "password = " + pw[render.VendorYealink], "password = Wr0ng!pass", []string{reg}},

		{render.VendorPoly, "transport", `transport="DNSnaptr"`, `transport="UDPOnly"`, []string{tv, reg}},
		{render.VendorPoly, "TLS floor", `sec.TLS.protocol.sip="TLSv1_2"`, `sec.TLS.protocol.sip="TLSv1_0"`, []string{tv}},
		{render.VendorPoly, "verification", `strictCertCommonNameValidation="1"`, `strictCertCommonNameValidation="0"`, []string{tc}},
		{render.VendorPoly, "CA", labPEM, identrustPEM, []string{tc}},
		{render.VendorPoly, "DNS mode", `outboundProxy.port="0"`, `outboundProxy.port="5061"`, []string{dns, certify.CaseFailover}},
		{render.VendorPoly, "failback", `failBack.timeout="120"`, `failBack.timeout="30"`, []string{fb}},
		{render.VendorPoly, "password", `auth.password="` + pw[render.VendorPoly] + `"`, `auth.password="Wr0ng!pass"`, []string{reg}},

		{render.VendorGrandstream, "transport", "<P130>2</P130>", "<P130>0</P130>", []string{tv, reg}},
		{render.VendorGrandstream, "TLS floor", "<P22293>12</P22293>", "<P22293>10</P22293>", []string{tv}},
		{render.VendorGrandstream, "TLS ceiling", "<P22294>12</P22294>", "<P22294>11</P22294>", []string{tv}},
		{render.VendorGrandstream, "verification", "<P8463>1</P8463>", "<P8463>0</P8463>", []string{tc}},
		{render.VendorGrandstream, "CA", labPEM, identrustPEM, []string{tc}},
		{render.VendorGrandstream, "DNS mode", "<P103>1</P103>", "<P103>0</P103>", []string{dns, certify.CaseFailover}},
		{render.VendorGrandstream, "line 2 transport", "<P448>2</P448>", "<P448>1</P448>", []string{tv}},
		{render.VendorGrandstream, "password", "<P34>" + pw[render.VendorGrandstream] + "</P34>", "<P34>Wr0ng!pass</P34>", []string{reg}},

		{render.VendorAudioCodes, "transport", "SIPTransportType = 2", "SIPTransportType = 0", []string{tv, reg}},
		{render.VendorAudioCodes, "TLS floor", "SIPTransportType = 2", "SIPTransportType = 2\nTLSVersion = 0", []string{tv}},
		{render.VendorAudioCodes, "verification", "VerifyServerCertificate = 1", "VerifyServerCertificate = 0", []string{tc}},
		{render.VendorAudioCodes, "CA", `HTTPSRootFileName = "https://prov.example.test/lab-ca.pem"`, `HTTPSRootFileName = "other-ca.pem"`, []string{tc}},
		{render.VendorAudioCodes, "DNS mode", "ProxyDNSQueryType = 1", "ProxyDNSQueryType = 0", []string{dns, certify.CaseFailover}},
		{render.VendorAudioCodes, "failback", "ProxyRedundancyMode = 1", "ProxyRedundancyMode = 0", []string{fb}},
		{render.VendorAudioCodes, "password", `"` + pw[render.VendorAudioCodes] + `"`, `"Wr0ng!pass"`, []string{reg}},

		{render.VendorGeneric, "transport", "transport = tls", "transport = udp", []string{tv, reg}},
		{render.VendorGeneric, "TLS floor", "tls_min = 1.2", "tls_min = 1.0", []string{tv}},
		{render.VendorGeneric, "verification", "verify = true", "verify = false", []string{tc}},
		{render.VendorGeneric, "CA", "trust_root = cutover devicetest CA", "trust_root = Some Other CA", []string{tc}},
		{render.VendorGeneric, "DNS mode", "srv_domain = " + devicetest.Domain, "proxies = " + devicetest.Primary + ":5061", []string{dns, certify.CaseFailover}},
		{render.VendorGeneric, "failback", "failback_seconds = 120", "failback_seconds = 30", []string{fb}},
		{render.VendorGeneric, "password", "password = " + pw[render.VendorGeneric], "password = Wr0ng!pass", []string{reg}},
	}
}

// writeFleetRun writes the fleet as a migration run, with broken's last
// file edited (old -> new).
func writeFleetRun(t *testing.T, fleet []fleetDevice, b *breakage) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, render.ConfigsDir), 0o700); err != nil {
		t.Fatal(err)
	}
	var plan struct {
		Devices []map[string]string `json:"devices"`
	}
	for _, f := range fleet {
		for i, file := range f.files {
			data := file.Data
			if b != nil && f.dev.Vendor == b.vendor && i == len(f.files)-1 {
				if !bytes.Contains(data, []byte(b.old)) {
					t.Fatalf("%s %s: %q not in %s", b.vendor, b.what, b.old, file.Name)
				}
				data = bytes.ReplaceAll(data, []byte(b.old), []byte(b.new))
			}
			if err := os.WriteFile(filepath.Join(dir, render.ConfigsDir, file.Name), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		plan.Devices = append(plan.Devices, map[string]string{
			"mac": f.dev.Info.MAC, "make": f.dev.Make, "model": f.dev.Model, "vendor": f.dev.Vendor, "action": "create"})
	}
	js, _ := json.Marshal(plan)
	if err := os.WriteFile(filepath.Join(dir, "plan.json"), js, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

var breakCases = []string{
	certify.CaseTLSVersion, certify.CaseTLSChain, certify.CaseDNSSRV, certify.CaseRegister,
	certify.CaseFailover, certify.CaseFailback, certify.CasePasswordPolicy,
}

// runBreakages certifies the untouched fleet (every case green or, where
// the vendor's documentation leaves the config undecided, skipped), then
// each breakage: its named cases red for the broken device, with a reason
// naming the parameter, and no other device red.
func runBreakages(t *testing.T, fleet []fleetDevice, o certify.Options) {
	ca, _ := devicetest.CA()
	o.TrustRoots = []string{ca.Certificate().Subject.CommonName}
	o.Cases = breakCases
	certifyDir := func(t *testing.T, dir string) []certify.Result {
		t.Helper()
		targets, err := certify.FromRunDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		o.Rand = rand.New(rand.NewPCG(3, 4))
		res, err := certify.Run(ctx, targets, o)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	t.Run("untouched", func(t *testing.T) {
		for _, r := range certifyDir(t, writeFleetRun(t, fleet, nil)) {
			if r.Outcome == certify.Fail {
				t.Errorf("%s %s %s: %s", r.Make, r.Case, r.Outcome, r.Reason)
			}
			if r.Outcome == certify.Skip {
				t.Logf("skipped: %s %s: %s", r.Make, r.Case, r.Reason)
			}
		}
	})
	for _, b := range breakages(fleet) {
		t.Run(b.vendor+"/"+strings.ReplaceAll(b.what, " ", "-"), func(t *testing.T) {
			var broken string
			for _, f := range fleet {
				if f.dev.Vendor == b.vendor {
					broken = f.dev.Info.MAC
				}
			}
			res := certifyDir(t, writeFleetRun(t, fleet, &b))
			red := map[string]certify.Result{}
			for _, r := range res {
				switch {
				case r.MAC != broken && r.Outcome == certify.Fail:
					t.Errorf("untouched %s %s turned red: %s", r.Make, r.Case, r.Reason)
				case r.MAC == broken && r.Outcome == certify.Fail:
					red[r.Case] = r
				}
			}
			for _, c := range b.red {
				r, ok := red[c]
				if !ok {
					t.Errorf("%s %s broken: case %s not red", b.vendor, b.what, c)
					continue
				}
				if r.Remedy == "" || !strings.HasPrefix(r.Reason, c) {
					t.Errorf("%s: reason %q, remedy %q", c, r.Reason, r.Remedy)
				}
			}
			if r, ok := red[b.red[0]]; ok {
				t.Logf("%s: %s | remedy: %s", r.Case, r.Reason, r.Remedy)
			}
		})
	}
}

// TestBrokenConfigsTurnRedOnSBCEmulator: each vendor's security-relevant
// parameters broken one at a time, certified against the SBC emulator pair.
func TestBrokenConfigsTurnRedOnSBCEmulator(t *testing.T) {
	users := map[string]string{}
	fleet := breakFleet(t, users)
	l := devicetest.Start(t)
	for u, p := range users {
		l.Users.Set(u, p)
	}
	runBreakages(t, fleet, certify.Options{
		Resolver: l.Resolver(), Roots: l.Roots, Jobs: 5, Timeout: breakTimeout(),
		FailbackInterval: 100 * time.Millisecond,
	})
}

// breakTimeout is the per-target wait of the breakage runs. Every broken
// config here fails on what it says, not on a slow answer, so the wait only
// bounds the run: under the race detector on a loaded machine a healthy
// exchange can take longer than 500 ms, which would turn the untouched
// devices red for the wrong reason.
func breakTimeout() time.Duration {
	if racecheck.Enabled {
		return 3 * time.Second
	}
	return 500 * time.Millisecond
}
