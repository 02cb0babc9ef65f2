package render

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cutover-dev/cutover/internal/golden"
)

// samples is one device per vendor family, with awkward but legal values
// (XML metacharacters in the password and display names) in every format
// that can carry them.
func samples() map[string]Device {
	info := func(mac string, lines int) DeviceInfo {
		di := DeviceInfo{
			MAC: mac, Model: "DMS Model", DeviceID: "Y2lzY29zcGFyazovL3VzL0RFVklDRS8x",
			SIPUserName: "acme_" + strings.ToLower(mac[6:]), OutboundProxy: "la01.sipconnect-us10.cisco-bcld.com",
			Domain: "acme123.calls.webex.com",
		}
		for p := 1; p <= lines; p++ {
			di.Lines = append(di.Lines, LineInfo{
				Port: p, LinePort: "line" + string(rune('0'+p)) + "_" + strings.ToLower(mac[6:]) + "@acme123.calls.webex.com",
				DisplayName: "Desk " + string(rune('0'+p)) + " & Co", Label: "L" + string(rune('0'+p)), PrimaryOwner: p == 1, Shared: p == 2,
			})
		}
		return di
	}
	return map[string]Device{
		VendorYealink:     {Info: info("001565A1B2C3", 2), Make: "Yealink", Model: "T57W", Vendor: VendorYealink, Password: "Xy7#pQ2!vR9z"},
		VendorPoly:        {Info: info("0004F2A1B2C3", 2), Make: "Poly", Model: "VVX450", Vendor: VendorPoly, Password: `Ab3"<&>'x!`},
		VendorGrandstream: {Info: info("000B82A1B2C3", 2), Make: "Grandstream", Model: "GRP2614", Vendor: VendorGrandstream, Password: `Gs8&<pw>"Q1`},
		VendorAudioCodes:  {Info: info("00908FA1B2C3", 4), Make: "AudioCodes", Model: "MP-114", Vendor: VendorAudioCodes, Password: "Ac9!pw#Zq2&x"},
		VendorGeneric:     {Info: info("0011220A0B0C", 1), Make: "Acme", Model: "SIP-1", Vendor: VendorGeneric, Password: "Gn1!generic#Pw"},
	}
}

func newRenderer(t testing.TB, opts ...Option) *Renderer {
	t.Helper()
	r, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// mustRender renders d with r and fails the test on an error.
func mustRender(t testing.TB, r *Renderer, d Device) []File {
	t.Helper()
	files, err := r.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// sampleProvisioningURL is where the samples' devices fetch their configs.
const sampleProvisioningURL = "https://prov.example.com/cutover/"

func TestRenderGolden(t *testing.T) {
	// The golden configs are what a partner deploys: with a provisioning
	// URL, so that Yealink and AudioCodes name the published CA by URL.
	r := newRenderer(t, WithProvisioningURL(sampleProvisioningURL))
	for vendor, d := range samples() {
		t.Run(vendor, func(t *testing.T) {
			files := mustRender(t, r, d)
			want, _ := FileNames(vendor, d.Info.MAC)
			if len(files) != len(want) {
				t.Fatalf("got %d files, want %v", len(files), want)
			}
			for i, f := range files {
				if f.Name != want[i] {
					t.Errorf("file %d is %q, want %q", i, f.Name, want[i])
				}
				golden.Check(t, filepath.Join("testdata", "golden", f.Name), f.Data)
			}
			// Determinism: a second render is byte-identical.
			again := mustRender(t, r, d)
			for i := range files {
				if !bytes.Equal(files[i].Data, again[i].Data) {
					t.Errorf("%s differs between two renders", files[i].Name)
				}
			}
		})
	}
}

// summary is what decides a registration, in one comparable value.
type summary struct {
	Vendor, UserAgent, SRVDomain, Transport, DNS, TLSMin string
	Verify                                               bool
	TrustRoot                                            string
	Expires                                              int
	Failover, FailbackMode                               string
	FailbackSeconds                                      int
	Unknowns                                             []string
	Lines                                                []LineRegistration
}

func summarize(r *Registration) summary {
	s := summary{Vendor: r.Vendor, UserAgent: r.UserAgent, SRVDomain: r.SRVDomain, Transport: r.Transport, DNS: r.DNS,
		TLSMin: r.TLSMin, Verify: r.Verify, TrustRoot: r.TrustRoot, Expires: r.Expires, Failover: r.Failover,
		FailbackMode: r.FailbackMode, FailbackSeconds: r.FailbackSeconds}
	for _, u := range r.Unknowns {
		s.Unknowns = append(s.Unknowns, u.Property)
	}
	for _, l := range r.Lines {
		s.Lines = append(s.Lines, LineRegistration{Port: l.Port, User: l.User, Domain: l.Domain, AuthUser: l.AuthUser, Password: l.Password, DisplayName: l.DisplayName})
	}
	return s
}

// expected is the registration a device with info d must perform, as each
// vendor's firmware documents it (VENDOR-FACTS.md), and what stays unknown,
// when rendered with a provisioning URL (withURL) or without.
func expected(d Device, withURL bool) summary {
	r := summary{
		Vendor: d.Vendor, UserAgent: d.Make + " " + d.Model, SRVDomain: d.Info.OutboundProxy,
		Transport: "tls", DNS: DNSSRV, TLSMin: "1.2", Verify: true, Expires: DefaultExpires, Failover: "srv",
		TrustRoot: "IdenTrust Commercial Root CA 1", FailbackMode: FailbackDuration, FailbackSeconds: DefaultFailbackSeconds,
	}
	switch d.Vendor {
	case VendorYealink:
		if !withURL {
			r.Unknowns = []string{SettingCA} // a bare file name as the CA URL
		}
	case VendorPoly:
		// The SIP TLS profile trusts only the installed root: certifiable.
		r.Transport, r.DNS = "dns-naptr", DNSNAPTR
	case VendorGrandstream:
		r.FailbackMode, r.FailbackSeconds = "", 0
	case VendorAudioCodes:
		r.TLSMin, r.FailbackMode, r.FailbackSeconds, r.Unknowns = "", FailbackHoming, 0, []string{SettingTLSMin}
		if !withURL {
			r.Unknowns = append(r.Unknowns, SettingCA) // HTTPSRootFileName, a bare name
		}
	}
	for _, l := range d.Info.Lines {
		user, domain, _ := strings.Cut(l.LinePort, "@")
		lr := LineRegistration{Port: l.Port, User: user, Domain: domain, AuthUser: d.Info.SIPUserName, Password: d.Password, DisplayName: l.DisplayName}
		if d.Vendor == VendorAudioCodes {
			lr.DisplayName = "" // an FXS port has no display name in the ini
		}
		r.Lines = append(r.Lines, lr)
	}
	return r
}

func TestRoundTrip(t *testing.T) {
	for _, withURL := range []bool{true, false} {
		var opts []Option
		if withURL {
			opts = append(opts, WithProvisioningURL(sampleProvisioningURL))
		}
		r := newRenderer(t, opts...)
		for vendor, d := range samples() {
			t.Run(fmt.Sprintf("%s/url=%v", vendor, withURL), func(t *testing.T) {
				files := mustRender(t, r, d)
				dir := t.TempDir()
				for _, f := range files {
					if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o600); err != nil {
						t.Fatal(err)
					}
				}
				// ReadFile on the first file is what a device does: Poly's
				// master config leads to the per-phone file.
				reg, err := ReadFile(filepath.Join(dir, files[0].Name))
				if err != nil {
					t.Fatal(err)
				}
				got, want := summarize(reg), expected(d, withURL)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("read back\n got %+v\nwant %+v", got, want)
				}
				for _, k := range []string{SettingTransport, SettingTLSMin, SettingVerify, SettingCA, SettingDNS} {
					if s, ok := reg.Settings[k]; !ok || s.Param == "" || s.Want == "" {
						t.Errorf("setting %s not located: %+v", k, s)
					}
				}
				// Yealink and AudioCodes download their CA: by its URL
				// beside the configs, or (without one) not certifiably.
				wantURL := ""
				if withURL && (vendor == VendorYealink || vendor == VendorAudioCodes) {
					wantURL = sampleProvisioningURL + "IdenTrust_Commercial_Root_CA_1.pem"
				}
				if reg.TrustURL != wantURL {
					t.Errorf("TrustURL %q, want %q", reg.TrustURL, wantURL)
				}
				if u, ok := reg.UnknownFor(SettingCA); ok && !withURL && wantURL == "" && (vendor == VendorYealink || vendor == VendorAudioCodes) && u.Fix != FixProvisioningURL {
					t.Errorf("unknown CA without the fix naming --provisioning-url: %+v", u)
				}
				last := files[len(files)-1]
				if _, err := Read("", last.Name, last.Data); err != nil {
					t.Errorf("Read with detection: %v", err)
				}
			})
		}
	}
}

func TestProvisioningURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://prov.example.com/cutover":   "https://prov.example.com/cutover/",
		"https://prov.example.com/cutover/":  "https://prov.example.com/cutover/",
		"https://prov.example.com:8443/a/b/": "https://prov.example.com:8443/a/b/",
	} {
		r := newRenderer(t, WithProvisioningURL(raw))
		if got := r.ProvisioningURL(); got != want {
			t.Errorf("%s: base %q, want %q", raw, got, want)
		}
		if got := r.Trust().URL; got != want+"IdenTrust_Commercial_Root_CA_1.pem" {
			t.Errorf("%s: trust URL %q", raw, got)
		}
	}
	for _, bad := range []string{"https://prov.example.com/" + strings.Repeat("a", 230) + "/", "http://prov.example.com/", "prov.example.com/cutover/", "https:///x/", "https://u:p@prov.example.com/", "https://prov.example.com/?a=1", "tftp://prov/"} {
		if _, err := New(WithProvisioningURL(bad)); err == nil || !strings.Contains(err.Error(), "provisioning URL") {
			t.Errorf("%s: error %v, want a provisioning URL error", bad, err)
		}
	}
}

// TestReadAfterWindowsEditor reads every vendor's config back after an
// editor on Windows saved it: a UTF-8 byte-order mark and CRLF line ends.
func TestReadAfterWindowsEditor(t *testing.T) {
	r := newRenderer(t)
	for vendor, d := range samples() {
		t.Run(vendor, func(t *testing.T) {
			for _, f := range mustRender(t, r, d) {
				edited := append([]byte("\ufeff"), bytes.ReplaceAll(f.Data, []byte("\n"), []byte("\r\n"))...)
				want, err := Read(vendor, f.Name, f.Data)
				if err != nil {
					continue // Poly's master file holds no registration
				}
				got, err := Read("", f.Name, edited)
				if err != nil {
					t.Fatalf("%s with a BOM and CRLF: %v", f.Name, err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s with a BOM and CRLF read as\n %+v\nwant %+v", f.Name, got, want)
				}
			}
		})
	}
}

func TestPolyMasterReferencesPhoneFile(t *testing.T) {
	files := mustRender(t, newRenderer(t), samples()[VendorPoly])
	if !bytes.Contains(files[0].Data, []byte(`CONFIG_FILES="0004f2a1b2c3-phone.cfg"`)) {
		t.Errorf("master config does not reference the phone file:\n%s", files[0].Data)
	}
	if _, err := Read(VendorPoly, files[0].Name, files[0].Data); err == nil || !strings.Contains(err.Error(), "CONFIG_FILES") {
		t.Errorf("Read(master) = %v, want ErrMasterConfig", err)
	}
}

func TestUnknownVariableNamesFileLineAndVariable(t *testing.T) {
	dir := t.TempDir()
	tmpl := "{{define \"extra\"}}\n## site\nlocal_time.time_zone = {{var \"timezone\"}}\n{{end}}"
	if err := os.WriteFile(filepath.Join(dir, "yealink-T57W.tmpl"), []byte(tmpl), 0o644); err != nil {
		t.Fatal(err)
	}
	r := newRenderer(t, WithTemplatesDir(dir))
	d := samples()[VendorYealink]
	d.Vars = map[string]string{"site": "HQ"}
	_, err := r.Render(d)
	if err == nil {
		t.Fatal("rendering with a missing variable succeeded")
	}
	// No such column: said so, with the columns there are.
	if !strings.Contains(err.Error(), `"timezone" has no inventory column (columns: site)`) {
		t.Errorf("error %q should say the inventory has no such column", err)
	}
	for _, want := range []string{"001565A1B2C3", "yealink-T57W.tmpl:3", `"timezone"`, "site"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), d.Password) {
		t.Error("error carries the password")
	}

	// The column is there but this row's cell is empty: said so, and never
	// called a missing column.
	d.Vars = map[string]string{"site": "HQ", "timezone": ""}
	if _, err := r.Render(d); err == nil || !strings.Contains(err.Error(), `"timezone" is empty in this device's inventory row`) {
		t.Errorf("empty cell: error %v, want it named empty", err)
	}

	d.Vars["timezone"] = "-5"
	files := mustRender(t, r, d)
	if !bytes.Contains(files[0].Data, []byte("local_time.time_zone = -5\n")) {
		t.Errorf("variable not rendered:\n%s", files[0].Data)
	}
}

func TestMissingMapKeyIsAnError(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "generic.tmpl"), []byte("{{template \"base\" .}}\nsite = {{.Vars.site}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := newRenderer(t, WithTemplatesDir(dir)).Render(samples()[VendorGeneric])
	if err == nil || !strings.Contains(err.Error(), "generic.tmpl:2") || !strings.Contains(err.Error(), "site") {
		t.Fatalf("got %v, want a missing-key error at generic.tmpl:2", err)
	}
}

func TestPartnerOverrideExtendsBase(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("yealink.tmpl", "{{define \"extra\"}}## make-wide: {{var \"site\"}}\n{{end}}")
	write("yealink-T57W.tmpl", "{{template \"base\" .}}## model-specific\n")
	write("vip.tmpl", "{{template \"base\" .}}## vip {{.MAC}}\n")
	r := newRenderer(t, WithTemplatesDir(dir))
	d := samples()[VendorYealink]
	d.Vars = map[string]string{"site": "HQ"}
	files := mustRender(t, r, d)
	got := string(files[0].Data)
	if !strings.Contains(got, "## make-wide: HQ\n") || !strings.HasSuffix(got, "## model-specific\n") {
		t.Errorf("overrides not applied:\n%s", got)
	}
	d.Template = "vip"
	files = mustRender(t, r, d)
	if !strings.HasSuffix(string(files[0].Data), "## vip 001565A1B2C3\n") {
		t.Errorf("device template not applied:\n%s", files[0].Data)
	}
	d.Template = "missing"
	if _, err := r.Render(d); err == nil || !strings.Contains(err.Error(), "missing.tmpl") {
		t.Errorf("missing device template: %v", err)
	}
	// The result still reads back.
	if _, err := Read(VendorYealink, files[0].Name, files[0].Data); err != nil {
		t.Error(err)
	}
}

func TestPartnerTemplateSyntaxErrorAtNew(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "poly.tmpl"), []byte("ok\n{{if}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := New(WithTemplatesDir(dir))
	if err == nil || !strings.Contains(err.Error(), "poly.tmpl:2") {
		t.Fatalf("got %v, want a parse error at poly.tmpl:2", err)
	}
}

func TestRenderRejectsBadDevices(t *testing.T) {
	r := newRenderer(t)
	base := samples()[VendorYealink]
	cases := map[string]func(d *Device){
		"vendor":   func(d *Device) { d.Vendor = "cisco" },
		"mac":      func(d *Device) { d.Info.MAC = "00156" },
		"proxy":    func(d *Device) { d.Info.OutboundProxy = "" },
		"password": func(d *Device) { d.Password = "" },
		"lines":    func(d *Device) { d.Info.Lines = nil },
		"newline":  func(d *Device) { d.Password = "Ab1!\naccount.1.enable = 0" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			d := base
			d.Info.Lines = append([]LineInfo(nil), base.Info.Lines...)
			mutate(&d)
			_, err := r.Render(d)
			if err == nil {
				t.Fatal("rendered")
			}
			if d.Password != "" && strings.Contains(err.Error(), d.Password) {
				t.Errorf("error carries the password: %v", err)
			}
		})
	}
}

func TestGrandstreamAccountLimit(t *testing.T) {
	d := samples()[VendorGrandstream]
	for p := 3; p <= 5; p++ {
		d.Info.Lines = append(d.Info.Lines, LineInfo{Port: p, LinePort: "x@acme123.calls.webex.com"})
	}
	_, err := newRenderer(t).Render(d)
	if err == nil || !strings.Contains(err.Error(), "port 5") || !strings.Contains(err.Error(), "at most 4 accounts") {
		t.Fatalf("got %v, want an account-limit error", err)
	}
}

func TestFileNames(t *testing.T) {
	cases := map[string][]string{
		VendorYealink:     {"001565a1b2c3.cfg"},
		VendorPoly:        {"001565a1b2c3.cfg", "001565a1b2c3-phone.cfg"},
		VendorGrandstream: {"cfg001565a1b2c3.xml"},
		VendorAudioCodes:  {"001565A1B2C3.ini"},
		VendorGeneric:     {"001565a1b2c3.sip.conf"},
	}
	for v, want := range cases {
		got, err := FileNames(v, "00:15:65:a1:b2:c3")
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("FileNames(%s) = %v, %v; want %v", v, got, err, want)
		}
	}
	if _, err := FileNames("cisco", "001565A1B2C3"); err == nil {
		t.Error("unknown vendor accepted")
	}
	if _, err := FileNames(VendorYealink, "00156"); err == nil {
		t.Error("short MAC accepted")
	}
}

func TestReadRejectsWeakenedConfigs(t *testing.T) {
	files := mustRender(t, newRenderer(t), samples()[VendorYealink])
	weak := bytes.Replace(files[0].Data, []byte("static.security.default_ssl_method = 5"), []byte("static.security.default_ssl_method = 3"), 1)
	weak = bytes.Replace(weak, []byte("static.security.trust_certificates = 1"), []byte("static.security.trust_certificates = 0"), 1)
	reg, err := Read(VendorYealink, files[0].Name, weak)
	if err != nil {
		t.Fatal(err)
	}
	if reg.TLSMin != "1.0" || reg.Verify {
		t.Errorf("weakened config read as TLS min %q, verify %v", reg.TLSMin, reg.Verify)
	}
	if s := reg.Settings[SettingTLSMin]; s.Param != "static.security.default_ssl_method" || s.Value != "3" || s.Want != "5" || s.Line == 0 {
		t.Errorf("TLS floor setting %+v", s)
	}
	if _, err := Read(VendorYealink, "x.cfg", []byte("account.1.enable = 1\n")); err == nil {
		t.Error("config without #!version header accepted")
	}
	if _, err := Read(VendorYealink, "x.cfg", []byte("#!version:1.0.0.1\nstatic.security.default_ssl_method = 5\n")); err == nil {
		t.Error("config without lines accepted")
	}
	_, err = Read(VendorYealink, "x.cfg", []byte("#!version:1.0.0.1\nnot a setting\n"))
	if err == nil || !strings.Contains(err.Error(), "x.cfg: line 2") {
		t.Errorf("got %v, want an error at x.cfg line 2", err)
	}
}

// TestPolySIPTrust: the CA list of the TLS profile SIP uses, read as the
// firmware reads it; each break of the rendered trust either empties the
// list (a judged CA: none), makes it undocumented (an Unknown), or is a
// value the sources do not give (a read error naming the line).
func TestPolySIPTrust(t *testing.T) {
	r := newRenderer(t)
	files := mustRender(t, r, samples()[VendorPoly])
	phone := files[len(files)-1]
	cases := []struct {
		what, old, new string
		caSet, root    string // want
		unknown        bool
		param          string // the setting named for the CA
		readErr        string // a read error mentioning this
	}{
		{what: "as rendered", caSet: CACustom, root: "IdenTrust Commercial Root CA 1", param: "device.sec.TLS.customCaCert2"},
		{what: "list names the empty slot", old: `caCertList2="Platform2"`, new: `caCertList2="Platform1"`, caSet: CACustom, param: "device.sec.TLS.profile.caCertList2"},
		{what: "CA slot not applied", old: `customCaCert2.set="1"`, new: `customCaCert2.set="0"`, caSet: CACustom, param: "device.sec.TLS.customCaCert2.set"},
		{what: "other platform profile", old: `"PlatformProfile2"`, new: `"PlatformProfile1"`, caSet: CADefault, unknown: true, param: polySIPProfile},
		{what: "list not applied", old: `caCertList2.set="1"`, new: `caCertList2.set="0"`, caSet: CADefault, unknown: true, param: polySIPProfile},
		{what: "device.set off", old: `device.set="1"`, new: `device.set="0"`, caSet: CADefault, unknown: true, param: polySIPProfile},
		{what: "application profile", old: `"PlatformProfile2"`, new: `"ApplicationProfile3"`, caSet: CADefault, unknown: true, param: polySIPProfile},
		{what: "no profile selected", old: `sec.TLS.profileSelection.SIP="PlatformProfile2"`, new: ``, caSet: CADefault, unknown: true, param: polySIPProfile},
		{what: "no such profile", old: `"PlatformProfile2"`, new: `"PlatformProfile3"`, readErr: polySIPProfile},
		{what: "uninterpreted list", old: `caCertList2="Platform2"`, new: `caCertList2="All"`, readErr: "device.sec.TLS.profile.caCertList2"},
		{what: "CA not PEM", old: `customCaCert2="-----BEGIN`, new: `customCaCert2="x-----BEGIN`, readErr: "not a PEM certificate"},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.what, " ", "-"), func(t *testing.T) {
			data := phone.Data
			if c.old != "" {
				if !bytes.Contains(data, []byte(c.old)) {
					t.Fatalf("%q not in %s", c.old, phone.Name)
				}
				data = bytes.Replace(data, []byte(c.old), []byte(c.new), 1)
			}
			reg, err := Read(VendorPoly, phone.Name, data)
			if c.readErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.readErr) || !strings.Contains(err.Error(), phone.Name) || !strings.Contains(err.Error(), "line ") {
					t.Fatalf("Read = %v, want an error naming %s, its line and %q", err, phone.Name, c.readErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, unknown := reg.UnknownFor(SettingCA)
			if reg.CASet != c.caSet || reg.TrustRoot != c.root || unknown != c.unknown || reg.Settings[SettingCA].Param != c.param {
				t.Errorf("caSet %q root %q unknown %v param %q, want %q %q %v %q",
					reg.CASet, reg.TrustRoot, unknown, reg.Settings[SettingCA].Param, c.caSet, c.root, c.unknown, c.param)
			}
			if c.root != "" && len(reg.TrustCerts) != 1 {
				t.Errorf("TrustCerts %d, want the installed root", len(reg.TrustCerts))
			}
		})
	}
}
