package render

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Profile is everything cutover knows about one vendor family's firmware:
// the files a device fetches, how to recognise them, how its firmware reads
// them back (Read), and what each model can hold. It is the unit of vendor
// knowledge: adding a vendor is adding one profile file next to its template
// and listing it in profiles; nothing else switches on the vendor.
//
// Each profile's facts come from ../shared/VENDOR-FACTS.md; the template
// comments name the source of every parameter.
type Profile struct {
	Vendor string // the template family, e.g. "yealink"
	Name   string // the vendor as people write it, for messages: "Yealink"

	// Templates are the embedded template files (under templates/).
	Templates []string
	// master, when set, is the template of files[0], a master config that
	// references files[1], which the main template renders (Poly).
	master string

	// files returns the names a device fetches, in fetch order, for a MAC of
	// 12 upper-case hex digits. Files[0] is the one asked for by MAC.
	files func(mac string) []string
	// match recognises one of the profile's file names (the base name, lower
	// case) and returns its MAC in upper case.
	match func(lower string) (mac string, ok bool)
	// sniff recognises the profile's format from the start of the content
	// (leading blanks and byte-order mark removed).
	sniff func(trimmed, all []byte) bool
	// read parses one config file; refs lists the files a master config
	// points to (ErrMasterConfig), for formats that have one.
	read func(data []byte) (reg *Registration, refs []string, err error)

	// Models are the capabilities per model, matched by the longest prefix
	// of the normalised model name; Default applies to any other model.
	Models  []ModelCaps
	Default ModelCaps

	// MaxPassword is the longest SIP password the vendor's field holds
	// (characters; 0 when no source gives a bound). value reports why the
	// format cannot carry a string (a line break in a key = value line, a
	// double quote in an ini string); nil when it carries any.
	MaxPassword int
	value       func(s string) (string, error)
}

// Support is whether a model's firmware documents a capability.
type Support string

// Support values: Unsure means no source was found either way, which is
// never treated as Yes (VENDOR-FACTS.md).
const (
	Yes    Support = "yes"
	No     Support = "no"
	Unsure Support = "unknown"
)

// ModelCaps is what one model (or model family) of a vendor can do.
type ModelCaps struct {
	Prefix string // normalised model prefix, e.g. "T5", "GXP17", "MP118"
	Lines  int    // accounts (phones) or ports (gateways); 0 when no source gives one
	// TLS12 is whether the firmware can be configured for SIP over TLS 1.2,
	// which Webex requires. No refuses the model at validate time.
	TLS12  Support
	Source string // where the figures come from
}

// profiles is the registry: one entry per vendor family.
var profiles = []*Profile{audiocodesProfile, genericProfile, grandstreamProfile, polyProfile, yealinkProfile}

// Vendors lists every vendor family with an embedded default template.
var Vendors = func() []string {
	out := make([]string, 0, len(profiles))
	for _, p := range profiles {
		out = append(out, p.Vendor)
	}
	sort.Strings(out)
	return out
}()

// ProfileFor returns the profile of a vendor family.
func ProfileFor(vendor string) (*Profile, error) {
	for _, p := range profiles {
		if p.Vendor == vendor {
			return p, nil
		}
	}
	return nil, fmt.Errorf("vendor %q: %w", vendor, ErrUnknownVendor)
}

// Caps returns the capabilities of a model (make-independent: the profile
// is the make). The model is matched ignoring case, spaces, '-' and '_'.
func (p *Profile) Caps(model string) ModelCaps {
	key := normModel(model)
	best := p.Default
	bestLen := -1
	for _, m := range p.Models {
		if strings.HasPrefix(key, m.Prefix) && len(m.Prefix) > bestLen {
			best, bestLen = m, len(m.Prefix)
		}
	}
	return best
}

func normModel(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r == ' ' || r == '-' || r == '_' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Rule names of the render-time checks (Problem.Rule).
const (
	RuleTLS12    = "tls-1.2"
	RuleLines    = "lines"
	RuleLabel    = "label"
	RulePassword = "password"
)

// Problem is one render-time rule a device breaks: what, and which line
// (0 when the device as a whole).
type Problem struct {
	Rule   string
	Port   int // the line's port; 0 for the device
	Detail string
}

// Check applies the render-time rules of the vendor's firmware to a device
// before anything is created for it: the model can do TLS 1.2, it holds
// this many lines, no label or display name carries a line break, and the
// password fits the vendor's field. validate calls it through the
// inventory's hook (migrate/inventory.RenderRules).
func (p *Profile) Check(model string, ports []int, labels map[int]string, password string) []Problem {
	var out []Problem
	caps := p.Caps(model)
	if caps.TLS12 == No {
		out = append(out, Problem{Rule: RuleTLS12, Detail: fmt.Sprintf(
			"%s %s cannot be configured for SIP over TLS 1.2, which Webex requires (%s)", p.Name, model, caps.Source)})
	}
	if caps.Lines > 0 && len(ports) > caps.Lines {
		port := 0
		if len(ports) > 0 {
			port = ports[caps.Lines]
		}
		out = append(out, Problem{Rule: RuleLines, Port: port, Detail: fmt.Sprintf(
			"%s %s holds at most %d %s, the device has %d (%s)", p.Name, model, caps.Lines, p.unit(), len(ports), caps.Source)})
	}
	ordered := make([]int, 0, len(labels))
	for port := range labels {
		ordered = append(ordered, port)
	}
	sort.Ints(ordered)
	for _, port := range ordered {
		if strings.ContainsAny(labels[port], "\r\n\x00") {
			out = append(out, Problem{Rule: RuleLabel, Port: port, Detail: "the label contains a line break, which no config format carries"})
		}
	}
	if n := utf8.RuneCountInString(password); p.MaxPassword > 0 && n > p.MaxPassword {
		out = append(out, Problem{Rule: RulePassword, Detail: fmt.Sprintf(
			"the SIP password has %d characters; the %s password field holds at most %d", n, p.Name, p.MaxPassword)})
	}
	if p.value != nil && password != "" {
		if _, err := p.value(password); err != nil {
			out = append(out, Problem{Rule: RulePassword, Detail: fmt.Sprintf("the SIP password cannot go into a %s config: %v", p.Name, err)})
		}
	}
	return out
}

func (p *Profile) unit() string {
	if p.Vendor == VendorAudioCodes {
		return "ports"
	}
	return "accounts"
}

// Rules applies the render-time checks of each vendor's profile
// (Profile.Check); it satisfies migrate/inventory.DeviceRules, so that
// validate refuses what render would refuse.
type Rules struct{}

// CheckDevice reports every problem Profile.Check finds for a device of
// the vendor family; an unknown family is reported once.
func (Rules) CheckDevice(vendor, model string, ports []int, labels map[int]string, password string, report func(port int, rule, detail string)) {
	p, err := ProfileFor(vendor)
	if err != nil {
		report(0, "vendor", err.Error())
		return
	}
	for _, pr := range p.Check(model, ports, labels, password) {
		report(pr.Port, pr.Rule, pr.Detail)
	}
}

// FileNames returns the names of the files a device of the vendor family
// fetches, in the order it fetches them. The first is the file the device asks
// for by MAC; for Poly it is the master config that references the second.
//
//	yealink      001565a1b2c3.cfg                   (lower-case MAC)
//	poly         0004f2a1b2c3.cfg, 0004f2a1b2c3-phone.cfg
//	grandstream  cfg000b82a1b2c3.xml                (lower-case MAC)
//	audiocodes   00908FA1B2C3.ini                   (upper-case MAC)
//	generic      001122a1b2c3.sip.conf
func FileNames(vendor, mac string) ([]string, error) {
	m, err := NormalizeMAC(mac)
	if err != nil {
		return nil, err
	}
	p, err := ProfileFor(vendor)
	if err != nil {
		return nil, err
	}
	return p.files(m), nil
}

// isHex12 reports whether s is 12 lower-case hex digits.
func isHex12(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// macFrom recognises prefix + 12 hex digits + suffix in a lower-case name.
func macFrom(lower, prefix, suffix string) (string, bool) {
	if !strings.HasPrefix(lower, prefix) || !strings.HasSuffix(lower, suffix) || len(lower) < len(prefix)+len(suffix) {
		return "", false
	}
	hex := lower[len(prefix) : len(lower)-len(suffix)]
	if !isHex12(hex) {
		return "", false
	}
	return strings.ToUpper(hex), true
}

// vendorOf guesses the vendor families and MAC from a config file name:
// more than one family when they share a name (Yealink and the Poly
// master config: <mac>.cfg), which the content then decides.
func vendorOf(name string) (vendors []*Profile, mac string) {
	base := name
	if i := strings.LastIndexAny(base, `/\`); i >= 0 {
		base = base[i+1:]
	}
	lower := strings.ToLower(base)
	for _, p := range profiles {
		if m, ok := p.match(lower); ok {
			vendors = append(vendors, p)
			mac = m
		}
	}
	return vendors, mac
}

// detect decides a config's vendor family from its name, then its content.
func detect(name string, data []byte) (*Profile, error) {
	byName, _ := vendorOf(name)
	if len(byName) == 1 {
		return byName[0], nil
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	candidates := byName
	if len(candidates) == 0 {
		candidates = profiles
	}
	for _, p := range candidates {
		if p.sniff(trimmed, data) {
			return p, nil
		}
	}
	if len(byName) > 1 {
		names := make([]string, 0, len(byName))
		for _, p := range byName {
			names = append(names, p.Name)
		}
		return nil, fmt.Errorf("a file named like a %s config whose content is none of them", strings.Join(names, " or "))
	}
	return nil, errors.New("unrecognised file name: expected <mac>.cfg, <mac>-phone.cfg, cfg<mac>.xml, <MAC>.ini or <mac>.sip.conf")
}
