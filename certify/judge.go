package certify

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cutover-dev/cutover/render"
	"github.com/cutover-dev/cutover/render/publish"
	"github.com/cutover-dev/cutover/simulator/device"
)

// Webex's requirements on a device's config, judged from the config as the
// vendor's firmware reads it (render.Registration) before the behaviour is
// tested: SIP over TLS, TLS 1.2 as the floor, the SBC certificate verified
// against the IdenTrust roots, the outbound proxy resolved by DNS SRV (a
// failover list), and a failback that returns to the primary on a timer
// the vendor documents (60 to 65535 s) or as soon as it answers.
const (
	MinFailbackSeconds = 60
	MaxFailbackSeconds = 65535
)

// defaultTrustRoots are the CA names a config may install: the IdenTrust
// roots Webex's SBC certificates chain to.
func defaultTrustRoots() []string {
	var out []string
	for _, c := range device.EmbeddedRoots() {
		out = append(out, c.Subject.CommonName)
	}
	return out
}

// judgeConfig is the static verdict of case name on the subject's config:
// final is true when the config alone fails the case.
func (s *subject) judgeConfig(name string) (v verdict, final bool) {
	reg := s.t.Registration
	if reg == nil {
		return verdict{}, false
	}
	switch name {
	case CaseTLSVersion:
		switch reg.Transport {
		case "udp", "tcp":
			return s.configFail(name, render.SettingTransport, fmt.Sprintf("sends SIP over %s, without TLS", strings.ToUpper(reg.Transport))), true
		}
		for _, l := range reg.Lines {
			if l.Transport == "udp" || l.Transport == "tcp" {
				return s.settingFail(name, l.Settings[render.SettingTransport], fmt.Sprintf("sends line %d's SIP over %s, without TLS", l.Port, strings.ToUpper(l.Transport))), true
			}
		}
		if reg.TLSMin != "" && reg.TLSMin < render.TLSMin {
			return s.configFail(name, render.SettingTLSMin, "lets the phone negotiate TLS "+reg.TLSMin), true
		}
		if reg.TLSMax != "" && reg.TLSMax < render.TLSMin {
			k := render.SettingTLSMax
			if _, ok := reg.Settings[k]; !ok {
				k = render.SettingTLSMin
			}
			return s.configFail(name, k, "caps the phone at TLS "+reg.TLSMax+", below the TLS 1.2 Webex requires"), true
		}
	case CaseTLSChain:
		_, unknownVerify := reg.UnknownFor(render.SettingVerify)
		if !reg.Verify && !unknownVerify {
			return s.configFail(name, render.SettingVerify, "turns server certificate verification off: the phone accepts any SBC"), true
		}
		// A CA downloaded by URL must be the one published beside the
		// configs, and one the SBCs chain to.
		if v, bad := s.judgeTrustURL(name); bad {
			return v, true
		}
		// A wrong CA fails whatever else is undocumented; no CA fails
		// unless which list the firmware uses is itself undocumented.
		_, unknownCA := reg.UnknownFor(render.SettingCA)
		switch {
		case reg.TrustRoot != "" && !slices.Contains(s.r.o.TrustRoots, reg.TrustRoot):
			return s.configFail(name, render.SettingCA, fmt.Sprintf("installs %q, not a root Webex's SBC certificates chain to (%s)", reg.TrustRoot, strings.Join(s.r.o.TrustRoots, ", "))), true
		case reg.TrustRoot == "" && !unknownCA:
			return s.configFail(name, render.SettingCA, "installs no CA: the phone cannot verify the SBC's IdenTrust chain"), true
		}
	case CaseDNSSRV, CaseFailover:
		if reg.DNS == render.DNSA {
			return s.configFail(name, render.SettingDNS, "resolves the outbound proxy by an A record: no SRV lookup, so no failover list"), true
		}
		for _, l := range reg.Lines {
			if l.DNS == render.DNSA {
				return s.settingFail(name, l.Settings[render.SettingDNS], fmt.Sprintf("resolves line %d's outbound proxy by an A record: no SRV lookup, so no failover list", l.Port)), true
			}
		}
	case CaseFailback:
		if _, ok := reg.Settings[render.SettingFailback]; !ok || reg.FailbackMode == "" {
			return verdict{}, false // the vendor documents none: behaviour decides
		}
		switch reg.FailbackMode {
		case render.FailbackHoming:
		case render.FailbackDuration:
			if reg.FailbackSeconds < MinFailbackSeconds || reg.FailbackSeconds > MaxFailbackSeconds {
				return s.configFail(name, render.SettingFailback, fmt.Sprintf("sets a failback timer of %d s, outside %d to %d s",
					reg.FailbackSeconds, MinFailbackSeconds, MaxFailbackSeconds)), true
			}
		default:
			return s.configFail(name, render.SettingFailback, fmt.Sprintf("sets failback mode %q, which does not return to the primary on a timer", reg.FailbackMode)), true
		}
	}
	return verdict{}, false
}

// caseProperties are the config properties whose being undocumented keeps
// a case from passing.
var caseProperties = map[string][]string{
	CaseTLSVersion: {render.SettingTransport, render.SettingTLSMin},
	CaseTLSChain:   {render.SettingVerify, render.SettingCA},
	CaseDNSSRV:     {render.SettingDNS},
}

// unknownFor says what about the config keeps case name from passing:
// what it relies on that no source documents, and the fix where cutover
// knows one (a remedy for the skip).
func (s *subject) unknownFor(name string) (why, fix string, ok bool) {
	reg := s.t.Registration
	if reg == nil {
		return "", "", false
	}
	var details, fixes []string
	for _, p := range caseProperties[name] {
		if u, ok := reg.UnknownFor(p); ok {
			details = append(details, u.Detail)
			if u.Fix != "" {
				fixes = append(fixes, u.Fix)
			}
		}
	}
	if len(details) == 0 {
		return "", "", false
	}
	return s.vendorName() + ": " + strings.Join(details, "; "), strings.Join(fixes, "; "), true
}

func (s *subject) vendorName() string {
	if p, err := render.ProfileFor(s.t.Registration.Vendor); err == nil {
		return p.Name
	}
	return s.t.Registration.Vendor
}

// configFail names the parameter that decided property k, where it is,
// what it does, and the documented value that fixes it: e.g. "Yealink
// `static.security.default_ssl_method = 3` lets the phone negotiate TLS
// 1.0; set 5".
func (s *subject) configFail(name, k, does string) verdict {
	return s.settingFail(name, s.t.Registration.Settings[k], does)
}

// settingFail is configFail for the setting set.
func (s *subject) settingFail(name string, set render.Setting, does string) verdict {
	param := "`" + set.Param + " = " + shorten(set.Value) + "`"
	if set.Value == "" {
		param = "`" + set.Param + "` (not set)"
	}
	where := ""
	if s.t.Source != "" {
		where = " in " + s.t.Source
		if set.Line > 0 {
			where = fmt.Sprintf(" at %s line %d", s.t.Source, set.Line)
		}
	}
	reason := fmt.Sprintf("%s: %s %s%s %s", name, s.vendorName(), param, where, does)
	return fail(reason, fmt.Sprintf("set %s to %s (in the device's template, then render and publish again)", set.Param, set.Want))
}

// shorten keeps a long value (a PEM certificate) out of a reason.
func shorten(v string) string {
	if len(v) > 40 || strings.ContainsAny(v, "\r\n") {
		return fmt.Sprintf("<%d characters>", len(v))
	}
	return v
}

// judgeTrustURL checks the CA a config makes the device download
// (Registration.TrustURL): the URL lies under the provisioning URL the run's
// configs are served from, the file it names is among the published files
// (Target.ConfigsDir), and that file is a CA the SBCs' certificates chain
// to. A device told to fetch its CA from anywhere else gets a CA nobody
// certified, or none. Targets not read from a run directory are not judged.
func (s *subject) judgeTrustURL(name string) (verdict, bool) {
	reg, t := s.t.Registration, s.t
	if reg.TrustURL == "" || t.ConfigsDir == "" {
		return verdict{}, false
	}
	set := reg.Settings[render.SettingCA]
	published, certs, err := publishedTrust(t)
	if published != "" {
		// As reasons name the config: relative to the run directory.
		published = filepath.Join(render.ConfigsDir, filepath.Base(published))
	}
	var outside *outsideError
	var unlisted *unpublishedError
	switch {
	case errors.As(err, &outside):
		set.Want = outside.want
		return s.settingFail(name, set, outside.does), true
	case errors.As(err, &unlisted):
		return fail(fmt.Sprintf("%s: %s names the CA %s; %s", name, s.vendorName(), reg.TrustURL, unlisted.Error()),
			"publish the configs again (cutover publish): it publishes the CA beside them"), true
	case errors.Is(err, os.ErrNotExist) || published == "":
		return fail(fmt.Sprintf("%s: %s names the CA %s, which is not among the published files (%s: no such file)", name, s.vendorName(), reg.TrustURL, published),
			"publish the CA beside the configs: cutover render --run DIR --provisioning-url URL writes it to DIR/configs, then cutover publish"), true
	case err != nil:
		return fail(fmt.Sprintf("%s: the CA the config names (%s) cannot be read as a published PEM certificate: %v", name, published, err),
			"publish the CA's PEM beside the configs (cutover render writes it), then cutover publish"), true
	}
	for _, c := range certs {
		if !slices.ContainsFunc(s.r.o.TrustCerts, func(tc *x509.Certificate) bool { return tc.Equal(c) }) {
			var want []string
			for _, tc := range s.r.o.TrustCerts {
				want = append(want, tc.Subject.CommonName)
			}
			return fail(fmt.Sprintf("%s: the CA published at %s (%s) is %q, not a root the SBCs' certificates chain to (%s)",
				name, reg.TrustURL, published, c.Subject.CommonName, strings.Join(want, ", ")),
				"publish the CA the SBCs' certificates chain to (IdenTrust Commercial Root CA 1 for Webex; cutover render writes it) beside the configs, then cutover publish"), true
		}
	}
	return verdict{}, false
}

// outsideError is a CA URL that does not name a file published beside the
// configs: does says what the config does, want the URL that fixes it.
type outsideError struct{ does, want string }

func (e *outsideError) Error() string { return e.does }

// unpublishedError is a CA file beside the configs that the configs
// directory's manifest does not list as published (or lists other bytes
// for).
type unpublishedError struct{ why string }

func (e *unpublishedError) Error() string { return e.why }

// publishedTrust resolves the CA URL of t's config to the published file
// it names (under t.ConfigsDir) and reads its certificates. The file is
// the URL's last segment below the run's provisioning URL, or, for a run
// that recorded none (a partner template with its own URL), the URL's
// last path segment. An error wrapping os.ErrNotExist means the file is
// not there; an *outsideError, that the URL points elsewhere.
func publishedTrust(t Target) (published string, certs []*x509.Certificate, err error) {
	reg, prov := t.Registration, t.Provisioning
	var file string
	if prov.URL != "" {
		want := prov.URL + url.PathEscape(prov.TrustFile)
		rest, ok := strings.CutPrefix(reg.TrustURL, prov.URL)
		if !ok || rest == "" || strings.ContainsAny(rest, "/?#") {
			return "", nil, &outsideError{does: fmt.Sprintf("points the device at a CA outside %s, where its configs and their CA are published", prov.URL), want: want}
		}
		if file, ok = unescape(rest); !ok {
			return "", nil, &outsideError{does: "names a CA file that is not a plain file name", want: want}
		}
	} else {
		u, err := url.Parse(reg.TrustURL)
		if err != nil {
			return "", nil, &outsideError{does: "names a CA URL that does not parse", want: "an https:// URL under the provisioning URL"}
		}
		var ok bool
		if file, ok = unescape(path.Base(u.Path)); !ok {
			return "", nil, os.ErrNotExist
		}
	}
	p := filepath.Join(t.ConfigsDir, file)
	data, err := os.ReadFile(p)
	if err != nil {
		return p, nil, err
	}
	// Where the configs directory is itself a published target (a dir://
	// publish into it, as the demo does), published means in its manifest
	// with these very bytes.
	if m, ok, err := manifests.Read(filepath.Join(t.ConfigsDir, publish.ManifestName)); ok {
		if err != nil {
			return p, nil, err
		}
		sum := sha256.Sum256(data)
		switch e, ok := m.Files[file]; {
		case !ok:
			return p, nil, &unpublishedError{fmt.Sprintf("%s is in %s/ but not in its manifest: it was never published", file, render.ConfigsDir)}
		case e.SHA256 != hex.EncodeToString(sum[:]):
			return p, nil, &unpublishedError{fmt.Sprintf("%s changed after it was published (its manifest holds other bytes)", file)}
		}
	}
	certs, err = device.ParseCertificates(data)
	if err == nil && len(certs) == 0 {
		err = errors.New("no certificate")
	}
	return p, certs, err
}

// unescape decodes one URL path segment into a file name.
func unescape(seg string) (string, bool) {
	f, err := url.PathUnescape(seg)
	if err != nil || f == "" || f == "." || f == ".." || strings.ContainsAny(f, `/\`) {
		return "", false
	}
	return f, true
}

// manifests keeps the last manifest publishedTrust parsed. Every device of
// a run asks about the same manifest, which lists every device's files:
// parsing it per device made certification quadratic (at 5,000 devices,
// 10,000 parses of a 5,000-entry manifest, about 70 cpu-s).
var manifests publish.ManifestCache
