package certify_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/internal/identrust"
	"github.com/cutover-dev/cutover/internal/racecheck"
	"github.com/cutover-dev/cutover/render"
	"github.com/cutover-dev/cutover/render/publish"
	"github.com/cutover-dev/cutover/simulator/device"
	"github.com/cutover-dev/cutover/simulator/device/devicetest"
)

// fleetDevice is one rendered device of the break tests.
type fleetDevice struct {
	dev   render.Device
	files []render.File
	r     *render.Renderer
}

// breakProvURL is where the break fleet's devices fetch their configs.
const breakProvURL = "https://prov.example.test/cutover/"

// breakFleet renders one device per vendor registering in the lab's domain
// through its SRV name, trusting the lab CA (installed as a vendor installs
// a custom CA: embedded, or downloaded from beside the configs by its
// absolute URL, as documented).
func breakFleet(t *testing.T, users map[string]string) []fleetDevice {
	t.Helper()
	ca, err := devicetest.CA()
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.New(render.WithProvisioningURL(breakProvURL), render.WithTrustRoot(render.TrustRoot{
		Name: ca.Certificate().Subject.CommonName, File: "lab-ca.pem", PEM: string(ca.CertPEM()),
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
		out = append(out, fleetDevice{dev: d, files: files, r: r})
	}
	return out
}

// breakage is one security-relevant parameter of one vendor, broken in its
// rendered config: the named case must turn red for that device.
type breakage struct {
	vendor, what string
	old, new     string // replaced in the device's last file, every occurrence
	red          []string
	// trust, when set, replaces the CA published beside the configs ("":
	// removed), which every vendor that downloads its CA reads (also).
	trust *string
	also  []string
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
	none, otherCA, garbage := "", string(identrust.CommercialRootCA1), "not a certificate\n"
	return []breakage{
		{render.VendorYealink, "transport", "sip_server.1.transport_type = 2", "sip_server.1.transport_type = 1", []string{tv, reg}, nil, nil},
		{render.VendorYealink, "line 2 transport", "account.2.sip_server.1.transport_type = 2", "account.2.sip_server.1.transport_type = 0", []string{tv}, nil, nil},
		{render.VendorYealink, "line 2 DNS mode", "account.2.outbound_proxy.1.port = 0", "account.2.outbound_proxy.1.port = 5061", []string{dns}, nil, nil},
		{render.VendorYealink, "TLS floor", "default_ssl_method = 5", "default_ssl_method = 3", []string{tv}, nil, nil},
		{render.VendorYealink, "verification", "trust_certificates = 1", "trust_certificates = 0", []string{tc}, nil, nil},
		{vendor: render.VendorYealink, what: "CA not published", old: "trusted_certificates.url = " + breakProvURL + "lab-ca.pem", new: "trusted_certificates.url = " + breakProvURL + "other-ca.pem", red: []string{tc}},
		{vendor: render.VendorYealink, what: "CA URL elsewhere", old: "trusted_certificates.url = " + breakProvURL, new: "trusted_certificates.url = https://elsewhere.example.test/cutover/", red: []string{tc}},
		// Rendered without a provisioning URL: the bare name is undocumented.
		{vendor: render.VendorYealink, what: "CA bare name", old: breakProvURL + "lab-ca.pem", new: "lab-ca.pem", red: nil},
		{vendor: render.VendorYealink, what: "published CA missing", trust: &none, also: []string{render.VendorAudioCodes}, red: []string{tc}},
		{vendor: render.VendorYealink, what: "published CA wrong", trust: &otherCA, also: []string{render.VendorAudioCodes}, red: []string{tc}},
		{vendor: render.VendorYealink, what: "published CA not PEM", trust: &garbage, also: []string{render.VendorAudioCodes}, red: []string{tc}},
		{render.VendorYealink, "DNS mode", "outbound_proxy.1.port = 0", "outbound_proxy.1.port = 5061", []string{dns, certify.CaseFailover}, nil, nil},
		{render.VendorYealink, "failback", "failback_timeout = 120", "failback_timeout = 30", []string{fb}, nil, nil},
		{render.VendorYealink, "password", "password = " + pw[render.VendorYealink], "password = Wr0ng!pass", []string{reg}, nil, nil},

		{render.VendorPoly, "transport", `transport="DNSnaptr"`, `transport="UDPOnly"`, []string{tv, reg}, nil, nil},
		{render.VendorPoly, "TLS floor", `sec.TLS.protocol.sip="TLSv1_2"`, `sec.TLS.protocol.sip="TLSv1_0"`, []string{tv}, nil, nil},
		{render.VendorPoly, "verification", `strictCertCommonNameValidation="1"`, `strictCertCommonNameValidation="0"`, []string{tc}, nil, nil},
		{render.VendorPoly, "CA", labPEM, identrustPEM, []string{tc}, nil, nil},
		// The SIP TLS profile's CA list names the platform slot with no CA.
		{render.VendorPoly, "CA list", `caCertList2="Platform2"`, `caCertList2="Platform1"`, []string{tc}, nil, nil},
		{render.VendorPoly, "CA slot not applied", `customCaCert2.set="1"`, `customCaCert2.set="0"`, []string{tc}, nil, nil},
		// A profile no source gives: the config cannot be read.
		// The other platform profile: its default list ("widely recognized"
		// CAs) is not documented to hold IdenTrust: a skip, never a pass.
		{render.VendorPoly, "other TLS profile", `profileSelection.SIP="PlatformProfile2"`, `profileSelection.SIP="PlatformProfile1"`, nil, nil, nil},
		{render.VendorPoly, "no such TLS profile", `profileSelection.SIP="PlatformProfile2"`, `profileSelection.SIP="PlatformProfile3"`, []string{tc, reg}, nil, nil},
		{render.VendorPoly, "DNS mode", `outboundProxy.port="0"`, `outboundProxy.port="5061"`, []string{dns, certify.CaseFailover}, nil, nil},
		{render.VendorPoly, "failback", `failBack.timeout="120"`, `failBack.timeout="30"`, []string{fb}, nil, nil},
		{render.VendorPoly, "password", `auth.password="` + pw[render.VendorPoly] + `"`, `auth.password="Wr0ng!pass"`, []string{reg}, nil, nil},

		{render.VendorGrandstream, "transport", "<P130>2</P130>", "<P130>0</P130>", []string{tv, reg}, nil, nil},
		{render.VendorGrandstream, "TLS floor", "<P22293>12</P22293>", "<P22293>10</P22293>", []string{tv}, nil, nil},
		{render.VendorGrandstream, "TLS ceiling", "<P22294>12</P22294>", "<P22294>11</P22294>", []string{tv}, nil, nil},
		{render.VendorGrandstream, "verification", "<P8463>1</P8463>", "<P8463>0</P8463>", []string{tc}, nil, nil},
		{render.VendorGrandstream, "CA", labPEM, identrustPEM, []string{tc}, nil, nil},
		{render.VendorGrandstream, "DNS mode", "<P103>1</P103>", "<P103>0</P103>", []string{dns, certify.CaseFailover}, nil, nil},
		{render.VendorGrandstream, "line 2 transport", "<P448>2</P448>", "<P448>1</P448>", []string{tv}, nil, nil},
		{render.VendorGrandstream, "password", "<P34>" + pw[render.VendorGrandstream] + "</P34>", "<P34>Wr0ng!pass</P34>", []string{reg}, nil, nil},

		{render.VendorAudioCodes, "transport", "SIPTransportType = 2", "SIPTransportType = 0", []string{tv, reg}, nil, nil},
		{render.VendorAudioCodes, "TLS floor", "SIPTransportType = 2", "SIPTransportType = 2\nTLSVersion = 0", []string{tv}, nil, nil},
		{render.VendorAudioCodes, "verification", "VerifyServerCertificate = 1", "VerifyServerCertificate = 0", []string{tc}, nil, nil},
		{vendor: render.VendorAudioCodes, what: "CA not published", old: `TLSRootFileUrl = "` + breakProvURL + `lab-ca.pem"`, new: `TLSRootFileUrl = "` + breakProvURL + `other-ca.pem"`, red: []string{tc}},
		{vendor: render.VendorAudioCodes, what: "CA bare name", old: breakProvURL + "lab-ca.pem", new: "lab-ca.pem", red: nil},
		{vendor: render.VendorAudioCodes, what: "CA URL elsewhere", old: `TLSRootFileUrl = "` + breakProvURL, new: `TLSRootFileUrl = "https://elsewhere.example.test/cutover/`, red: []string{tc}},
		{render.VendorAudioCodes, "DNS mode", "ProxyDNSQueryType = 1", "ProxyDNSQueryType = 0", []string{dns, certify.CaseFailover}, nil, nil},
		{render.VendorAudioCodes, "failback", "ProxyRedundancyMode = 1", "ProxyRedundancyMode = 0", []string{fb}, nil, nil},
		{render.VendorAudioCodes, "password", `"` + pw[render.VendorAudioCodes] + `"`, `"Wr0ng!pass"`, []string{reg}, nil, nil},

		{render.VendorGeneric, "transport", "transport = tls", "transport = udp", []string{tv, reg}, nil, nil},
		{render.VendorGeneric, "TLS floor", "tls_min = 1.2", "tls_min = 1.0", []string{tv}, nil, nil},
		{render.VendorGeneric, "verification", "verify = true", "verify = false", []string{tc}, nil, nil},
		{render.VendorGeneric, "CA", "trust_root = cutover devicetest CA", "trust_root = Some Other CA", []string{tc}, nil, nil},
		{render.VendorGeneric, "DNS mode", "srv_domain = " + devicetest.Domain, "proxies = " + devicetest.Primary + ":5061", []string{dns, certify.CaseFailover}, nil, nil},
		{render.VendorGeneric, "failback", "failback_seconds = 120", "failback_seconds = 30", []string{fb}, nil, nil},
		{render.VendorGeneric, "password", "password = " + pw[render.VendorGeneric], "password = Wr0ng!pass", []string{reg}, nil, nil},
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
	if err := fleet[0].r.WriteTrust(dir); err != nil {
		t.Fatal(err)
	}
	if b != nil && b.trust != nil {
		ca := filepath.Join(dir, render.ConfigsDir, "lab-ca.pem")
		if _, err := os.Stat(ca); err != nil {
			t.Fatal(err)
		}
		if *b.trust == "" {
			os.Remove(ca)
		} else if err := os.WriteFile(ca, []byte(*b.trust), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var plan struct {
		Devices []map[string]string `json:"devices"`
	}
	for _, f := range fleet {
		for i, file := range f.files {
			data := file.Data
			if b != nil && b.trust == nil && f.dev.Vendor == b.vendor && i == len(f.files)-1 {
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
	o.TrustCerts = []*x509.Certificate{ca.Certificate()}
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
			broken := map[string]string{} // MAC -> vendor
			for _, f := range fleet {
				if f.dev.Vendor == b.vendor || slices.Contains(b.also, f.dev.Vendor) {
					broken[f.dev.Info.MAC] = f.dev.Vendor
				}
			}
			res := certifyDir(t, writeFleetRun(t, fleet, &b))
			red := map[string]map[string]certify.Result{} // vendor -> case
			skipped := map[string]certify.Result{}
			for _, r := range res {
				vendor, isBroken := broken[r.MAC]
				switch {
				case !isBroken && r.Outcome == certify.Fail:
					t.Errorf("untouched %s %s turned red: %s", r.Make, r.Case, r.Reason)
				case isBroken && r.Outcome == certify.Fail:
					if red[vendor] == nil {
						red[vendor] = map[string]certify.Result{}
					}
					red[vendor][r.Case] = r
				case isBroken && r.Outcome == certify.Skip:
					skipped[r.Case] = r
				}
			}
			for _, vendor := range broken {
				for _, c := range b.red {
					r, ok := red[vendor][c]
					if !ok {
						t.Errorf("%s %s broken: %s case %s not red", b.vendor, b.what, vendor, c)
						continue
					}
					if r.Remedy == "" || !strings.HasPrefix(r.Reason, c) {
						t.Errorf("%s: reason %q, remedy %q", c, r.Reason, r.Remedy)
					}
				}
			}
			if len(b.red) == 0 {
				// Undocumented, not wrong: the chain is not certifiable, and
				// the skip says how to make it so.
				fix := "--provisioning-url"
				if b.vendor == render.VendorPoly {
					fix = `sec.TLS.profileSelection.SIP = PlatformProfile2`
				}
				r, ok := skipped[certify.CaseTLSChain]
				if !ok || !strings.Contains(r.Remedy, fix) {
					t.Errorf("%s %s: tls-chain %+v, want a skip whose remedy names %s", b.vendor, b.what, r, fix)
				}
				return
			}
			if r, ok := red[b.vendor][b.red[0]]; ok {
				t.Logf("%s: %s | remedy: %s", r.Case, r.Reason, r.Remedy)
			}
		})
	}
}

// breakLab is the breakage fleet and an SBC emulator pair that knows its
// users' passwords.
func breakLab(t *testing.T) ([]fleetDevice, *devicetest.Lab) {
	users := map[string]string{}
	fleet := breakFleet(t, users)
	l := devicetest.Start(t)
	for u, p := range users {
		l.Users.Set(u, p)
	}
	return fleet, l
}

// TestBrokenConfigsTurnRedOnSBCEmulator: each vendor's security-relevant
// parameters broken one at a time, certified against the SBC emulator pair.
func TestBrokenConfigsTurnRedOnSBCEmulator(t *testing.T) {
	fleet, l := breakLab(t)
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

// TestDeviceTrustsOnlyTheCAItsConfigInstalls: a Grandstream config that
// installs IdenTrust as its only CA (P8502 = 1), or a Poly one whose SIP TLS
// profile trusts only the slot holding IdenTrust, passes the static
// judgement when the run also trusts IdenTrust, but the simulated phone,
// verifying against that CA alone as the firmware would, refuses the lab
// SBC's certificate: tls-chain and register fail on behaviour. Untouched
// devices (the lab CA installed) stay green.
func TestDeviceTrustsOnlyTheCAItsConfigInstalls(t *testing.T) {
	fleet, l := breakLab(t)
	labCA, _ := devicetest.CA()
	identrustPEM := xmlText(string(identrust.CommercialRootCA1))
	for _, vendor := range []string{render.VendorGrandstream, render.VendorPoly} {
		t.Run(vendor, func(t *testing.T) {
			b := breakage{vendor: vendor, what: "CA", old: xmlText(string(labCA.CertPEM())), new: identrustPEM}
			targets, err := certify.FromRunDir(writeFleetRun(t, fleet, &b))
			if err != nil {
				t.Fatal(err)
			}
			o := certify.Options{
				Resolver: l.Resolver(), Roots: l.Roots, Jobs: 5, Timeout: max(time.Second, breakTimeout()), FailbackInterval: 100 * time.Millisecond,
				Cases: []string{certify.CaseTLSChain, certify.CaseRegister}, Rand: rand.New(rand.NewPCG(5, 6)),
			}
			for _, c := range append(device.EmbeddedRoots(), labCA.Certificate()) {
				o.TrustRoots = append(o.TrustRoots, c.Subject.CommonName)
				o.TrustCerts = append(o.TrustCerts, c)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := certify.Run(ctx, targets, o)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				broken := strings.EqualFold(r.Make, vendor)
				switch {
				case broken && r.Outcome != certify.Fail:
					t.Errorf("%s trusting only IdenTrust: %s %s: %s", r.Make, r.Case, r.Outcome, r.Reason)
				case broken:
					t.Logf("%s: %s", r.Case, r.Reason)
				case r.Outcome == certify.Fail:
					t.Errorf("untouched %s %s turned red: %s", r.Make, r.Case, r.Reason)
				}
			}
		})
	}
}

// TestPublishedCAMustBeInTheManifest: where the configs directory is a
// published target (a dir:// publish into it), the CA a config downloads
// must be in its manifest: beside the configs but never published fails
// tls-chain for the vendors that download it; published, it passes.
func TestPublishedCAMustBeInTheManifest(t *testing.T) {
	fleet, l := breakLab(t)
	dir := writeFleetRun(t, fleet, nil)
	configs := filepath.Join(dir, render.ConfigsDir)
	target, err := publish.Open("dir://" + configs)
	if err != nil {
		t.Fatal(err)
	}
	files, err := publish.ReadFiles(configs)
	if err != nil {
		t.Fatal(err)
	}
	var withoutCA []render.File
	var ca render.File
	for _, f := range files {
		if f.Name == "lab-ca.pem" {
			ca = f
			continue
		}
		withoutCA = append(withoutCA, f)
	}
	if ca.Name == "" {
		t.Fatal("no CA beside the configs")
	}
	labCA, _ := devicetest.CA()
	o := certify.Options{
		Resolver: l.Resolver(), Roots: l.Roots, Jobs: 5, Timeout: max(time.Second, breakTimeout()),
		Cases: []string{certify.CaseTLSChain}, Rand: rand.New(rand.NewPCG(7, 8)),
		TrustRoots: []string{labCA.Certificate().Subject.CommonName}, TrustCerts: []*x509.Certificate{labCA.Certificate()},
	}
	chain := func() map[string]certify.Result {
		t.Helper()
		targets, err := certify.FromRunDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		res, err := certify.Run(ctx, targets, o)
		if err != nil {
			t.Fatal(err)
		}
		by := map[string]certify.Result{}
		for _, r := range res {
			by[r.Make] = r
		}
		return by
	}
	if _, err := target.Publish(context.Background(), withoutCA); err != nil {
		t.Fatal(err)
	}
	for mk, r := range chain() {
		downloads := mk == "Yealink" || mk == "AudioCodes"
		switch {
		case downloads && (r.Outcome != certify.Fail || !strings.Contains(r.Reason, "never published")):
			t.Errorf("%s with its CA unpublished: %s: %s", mk, r.Outcome, r.Reason)
		case !downloads && r.Outcome == certify.Fail:
			t.Errorf("%s does not download its CA, yet: %s", mk, r.Reason)
		}
	}
	if _, err := target.Publish(context.Background(), []render.File{ca}); err != nil {
		t.Fatal(err)
	}
	for mk, r := range chain() {
		if r.Outcome == certify.Fail {
			t.Errorf("%s with its CA published: %s", mk, r.Reason)
		}
	}
}
