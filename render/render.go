package render

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"

	"github.com/cutover-dev/cutover/internal/identrust"
)

//go:embed templates/*.tmpl
var embedded embed.FS

// Defaults a Renderer starts from.
const (
	DefaultExpires         = 3600 // seconds; Webex re-registration is well inside it
	DefaultFailbackSeconds = 120  // how long a device stays on a secondary before trying the primary
	DefaultSIPSPort        = 5061
	TLSMin                 = "1.2"
)

// TrustRoot names the certificate authority a device trusts for the SBC. The
// default is IdenTrust Commercial Root CA 1, which Webex's SBC certificates
// chain to. Formats that embed the certificate (Poly, Grandstream) use PEM;
// formats that download it (Yealink, AudioCodes) use URL, the absolute URL
// of File published beside the configs (WithProvisioningURL).
type TrustRoot struct {
	Name string // subject common name, e.g. "IdenTrust Commercial Root CA 1"
	File string // the PEM's file name, published beside the configs
	PEM  string // the certificate itself, for formats that embed it
	// URL is where devices download File: the provisioning URL plus File.
	// Empty without a provisioning URL: the templates then write the bare
	// File, which no vendor documents, and certification cannot pass the CA.
	URL string
}

// SIP is the registration policy every default template applies.
type SIP struct {
	Proxy           string // SRV domain: devices resolve _sips._tcp.<Proxy>
	Port            int    // the SIPS port, where a format needs one besides SRV
	Transport       string // "tls"
	TLSMin          string // "1.2"
	Expires         int    // seconds
	FailbackSeconds int
	UserAgent       string // make and model
	Trust           TrustRoot
	TrustPEMXML     string // Trust.PEM escaped for an XML attribute, once
}

// Line is one registering line as templates see it, numbered from 1.
type Line struct {
	Index       int    // account number in the config (1-based, consecutive)
	Port        int    // Webex port
	User        string // user part of the line port
	Domain      string // host part of the line port
	AOR         string // User@Domain
	AuthUser    string // digest user name (the device's sipUserName)
	DisplayName string
	Label       string
	Shared      bool
}

// Files names the files of one device, for configs that reference each other.
type Files struct {
	Main  string // the file the device fetches first
	Phone string // Poly: the per-phone file the master config references
}

// Data is what a template executes on.
type Data struct {
	Info     DeviceInfo
	Make     string
	Model    string
	Vendor   string
	MAC      string // 12 upper-case hex digits
	MACLower string
	Password string
	// Vars are the inventory's extra columns; read them with {{var "name"}},
	// which fails on a missing name instead of printing nothing.
	Vars  map[string]string
	Lines []Line
	SIP   SIP
	Files Files
}

// Option configures a Renderer.
type Option func(*Renderer)

// WithTemplatesDir adds partner templates from dir. For a device of vendor V,
// make M and model X the renderer reads, when present and from least to most
// specific, V.tmpl, m.tmpl, V-X.tmpl, m-X.tmpl (m is the make in lower case,
// X as written or in lower case) and the device's own Template file. Each file
// may redefine the embedded blocks ({{define "extra"}}...{{end}}) and may have
// a body of its own, typically {{template "base" .}} plus additions; the most
// specific file with a body is the one executed.
func WithTemplatesDir(dir string) Option { return func(r *Renderer) { r.dir = dir } }

// WithExpires sets the registration expiry in seconds.
func WithExpires(seconds int) Option { return func(r *Renderer) { r.sip.Expires = seconds } }

// WithFailback sets how long a device stays on a secondary server.
func WithFailback(seconds int) Option { return func(r *Renderer) { r.sip.FailbackSeconds = seconds } }

// WithTrustRoot replaces the IdenTrust default (a lab CA, for instance).
func WithTrustRoot(t TrustRoot) Option { return func(r *Renderer) { r.sip.Trust = t } }

// MaxTrustURL is the longest CA URL every template can carry: AudioCodes
// TLSRootFileUrl holds 254 characters (AC-SYSTEM-MIB
// acSysHTTPClientTLSRootFileUrl).
const MaxTrustURL = 254

// WithProvisioningURL sets the URL devices fetch their configs from (e.g.
// https://prov.example.com/cutover/), under which the trust root's PEM is
// published beside them: templates that make the device download its CA
// (Yealink static.trusted_certificates.url, AudioCodes TLSRootFileUrl)
// point at base + TrustRoot.File. New refuses anything but an absolute
// https URL without query or fragment: the CA is what the device trusts,
// so it is fetched over verified TLS.
func WithProvisioningURL(base string) Option { return func(r *Renderer) { r.provURL = base } }

// Renderer renders device configs. It is safe for concurrent use.
type Renderer struct {
	dir     string
	provURL string
	sip     SIP
	partner map[string]string // file name -> text, from dir
	base    map[string]string // vendor -> embedded text

	mu    sync.Mutex
	cache map[string]*compiled
}

type compiled struct {
	t    *template.Template
	root string // the template to execute for the main file
	// pool holds executable clones of t, each with its var functions bound
	// to its own holder: cloning and binding functions per render costs
	// more than the render itself.
	pool sync.Pool
}

// instance is one clone of a compiled set, used by one render at a time.
type instance struct {
	t    *template.Template
	vars map[string]string // read by the clone's var functions
}

func (c *compiled) get() (*instance, error) {
	if in, ok := c.pool.Get().(*instance); ok {
		return in, nil
	}
	t, err := c.t.Clone()
	if err != nil {
		return nil, err
	}
	in := &instance{t: t}
	t.Funcs(varFuncs(func() map[string]string { return in.vars }))
	return in, nil
}

func (c *compiled) put(in *instance) {
	in.vars = nil
	c.pool.Put(in)
}

// New builds a Renderer from the embedded templates and the options. A
// partner template that does not parse is an error naming the file and line.
func New(opts ...Option) (*Renderer, error) {
	r := &Renderer{
		sip: SIP{
			Port: DefaultSIPSPort, Transport: "tls", TLSMin: TLSMin,
			Expires: DefaultExpires, FailbackSeconds: DefaultFailbackSeconds,
			Trust: TrustRoot{Name: "IdenTrust Commercial Root CA 1", File: "IdenTrust_Commercial_Root_CA_1.pem", PEM: string(identrust.CommercialRootCA1)},
		},
		base:  map[string]string{},
		cache: map[string]*compiled{},
	}
	for _, o := range opts {
		o(r)
	}
	r.sip.TrustPEMXML = xmlEscape(r.sip.Trust.PEM)
	if r.provURL != "" {
		base, err := ProvisioningBase(r.provURL)
		if err != nil {
			return nil, err
		}
		r.provURL = base
		r.sip.Trust.URL = base + url.PathEscape(r.sip.Trust.File)
		// Refused here rather than device by device at render time, when
		// migrate has already created the devices in Webex.
		if n := len(r.sip.Trust.URL); n > MaxTrustURL {
			return nil, fmt.Errorf("provisioning URL %.80q: the CA's URL would be %d characters; AudioCodes TLSRootFileUrl holds at most %d", base, n, MaxTrustURL)
		}
	}
	if r.sip.Expires <= 0 || r.sip.FailbackSeconds < 0 {
		return nil, fmt.Errorf("expires %d and failback %d: expected positive seconds", r.sip.Expires, r.sip.FailbackSeconds)
	}
	for _, p := range profiles {
		var text strings.Builder
		for _, name := range p.Templates {
			b, err := embedded.ReadFile("templates/" + name)
			if err != nil {
				return nil, fmt.Errorf("reading embedded template %s: %w", name, err)
			}
			text.Write(b)
		}
		r.base[p.Vendor] = text.String()
	}
	if r.dir != "" {
		if err := r.loadPartner(); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *Renderer) loadPartner() error {
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		return fmt.Errorf("reading templates directory: %w", err)
	}
	r.partner = map[string]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".tmpl") {
			continue
		}
		path := filepath.Join(r.dir, e.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("reading template: %w", err)
		}
		// Parse alone to report syntax errors now, at the file and line.
		if _, err := template.New(e.Name()).Funcs(funcs(nil)).Parse(string(b)); err != nil {
			return fmt.Errorf("parsing %s: %w", path, err)
		}
		r.partner[e.Name()] = string(b)
	}
	return nil
}

// chain returns the partner files that apply to d, least specific first.
func (r *Renderer) chain(d Device) ([]string, error) {
	var names []string
	seen := map[string]bool{}
	add := func(n string) {
		if _, ok := r.partner[n]; ok && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	mk := strings.ToLower(strings.ReplaceAll(d.Make, " ", ""))
	add(d.Vendor + ".tmpl")
	add(mk + ".tmpl")
	for _, model := range []string{d.Model, strings.ToLower(d.Model)} {
		add(d.Vendor + "-" + model + ".tmpl")
		add(mk + "-" + model + ".tmpl")
	}
	if d.Template != "" {
		n := d.Template
		if !strings.HasSuffix(n, ".tmpl") {
			n += ".tmpl"
		}
		if _, ok := r.partner[n]; !ok {
			if r.dir == "" {
				return nil, fmt.Errorf("template %q: no templates directory given", d.Template)
			}
			return nil, fmt.Errorf("template %q: no file %s in %s", d.Template, n, r.dir)
		}
		seen[n] = false // the device's own template always comes last
		names = append(names, n)
	}
	return names, nil
}

func (r *Renderer) compile(d Device) (*compiled, error) {
	chain, err := r.chain(d)
	if err != nil {
		return nil, err
	}
	key := d.Vendor + "\x00" + strings.Join(chain, "\x00")
	r.mu.Lock()
	c, ok := r.cache[key]
	r.mu.Unlock()
	if ok {
		return c, nil
	}
	baseName := "embedded:" + d.Vendor + ".tmpl"
	t := template.New(baseName).Funcs(funcs(nil)).Option("missingkey=error")
	if _, err := t.Parse(r.base[d.Vendor]); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", baseName, err)
	}
	root := baseName
	for _, n := range chain {
		nt, err := t.New(n).Parse(r.partner[n])
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", filepath.Join(r.dir, n), err)
		}
		if nt.Tree != nil && !parse.IsEmptyTree(nt.Tree.Root) {
			root = n
		}
	}
	c = &compiled{t: t, root: root}
	r.mu.Lock()
	if old, ok := r.cache[key]; ok {
		c = old // another render compiled it meanwhile: share one pool
	} else {
		r.cache[key] = c
	}
	r.mu.Unlock()
	return c, nil
}

// Render renders every file of device d. The device needs a known vendor
// family, a valid MAC, an outbound proxy, a SIP user name, a password and at
// least one line. Errors name the device and, for template errors, the
// template file, line and the variable or field at fault.
func (r *Renderer) Render(d Device) ([]File, error) {
	data, err := r.data(d)
	if err != nil {
		return nil, fmt.Errorf("rendering %s: %w", d.Info.MAC, err)
	}
	c, err := r.compile(d)
	if err != nil {
		return nil, fmt.Errorf("rendering %s: %w", data.MAC, err)
	}
	prof, _ := ProfileFor(d.Vendor)
	names := prof.files(data.MAC)
	files := make([]File, 0, len(names))
	// The var function needs this device's variables: they go to a clone of
	// the set that no other render uses meanwhile.
	in, err := c.get()
	if err != nil {
		return nil, fmt.Errorf("rendering %s: %w", data.MAC, err)
	}
	defer c.put(in)
	in.vars = data.Vars
	t := in.t
	exec := func(tmpl, name string) error {
		var buf bytes.Buffer
		buf.Grow(4096)
		if err := t.ExecuteTemplate(&buf, tmpl, data); err != nil {
			return fmt.Errorf("rendering %s %s: %w", data.MAC, name, err)
		}
		files = append(files, File{Name: name, Data: buf.Bytes()})
		return nil
	}
	if prof.master != "" {
		// The master config comes from its own template so that partners
		// can redefine it ({{define "poly.master"}}) like any block.
		if err := exec(prof.master, names[0]); err != nil {
			return nil, err
		}
		if err := exec(c.root, names[1]); err != nil {
			return nil, err
		}
		return files, nil
	}
	if err := exec(c.root, names[0]); err != nil {
		return nil, err
	}
	return files, nil
}

func (r *Renderer) data(d Device) (*Data, error) {
	prof, err := ProfileFor(d.Vendor)
	if err != nil {
		return nil, err
	}
	mac, err := NormalizeMAC(d.Info.MAC)
	if err != nil {
		return nil, err
	}
	switch {
	case d.Info.OutboundProxy == "":
		return nil, errors.New("device info has no outbound proxy")
	case d.Info.SIPUserName == "":
		return nil, errors.New("device info has no SIP user name")
	case d.Password == "":
		return nil, errors.New("no SIP password")
	case len(d.Info.Lines) == 0:
		return nil, errors.New("device info has no lines")
	}
	// A device the firmware cannot take (no TLS 1.2, more lines than the
	// model holds, a value the format cannot carry) is not rendered.
	if probs := prof.Check(d.Model, linePorts(d.Info.Lines), lineLabels(d.Info.Lines), d.Password); len(probs) > 0 {
		return nil, problemsError(probs)
	}
	names := prof.files(mac)
	data := &Data{
		Info: d.Info, Make: d.Make, Model: d.Model, Vendor: d.Vendor,
		MAC: mac, MACLower: strings.ToLower(mac), Password: d.Password,
		Vars: d.Vars, SIP: r.sip, Files: Files{Main: names[0]},
	}
	if len(names) > 1 {
		data.Files.Phone = names[1]
	}
	if data.Vars == nil {
		data.Vars = map[string]string{}
	}
	data.SIP.Proxy = d.Info.OutboundProxy
	data.SIP.UserAgent = strings.TrimSpace(d.Make + " " + d.Model)
	lines := append([]LineInfo(nil), d.Info.Lines...)
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].Port < lines[j].Port })
	for i, l := range lines {
		user, domain, ok := strings.Cut(l.LinePort, "@")
		if !ok {
			domain = d.Info.Domain
		}
		if user == "" || domain == "" {
			return nil, fmt.Errorf("line port %d %q: expected user@domain (or a device domain)", l.Port, l.LinePort)
		}
		data.Lines = append(data.Lines, Line{
			Index: i + 1, Port: l.Port, User: user, Domain: domain, AOR: user + "@" + domain,
			AuthUser: d.Info.SIPUserName, DisplayName: l.DisplayName, Label: l.Label, Shared: l.Shared,
		})
	}
	return data, nil
}

func linePorts(lines []LineInfo) []int {
	out := make([]int, 0, len(lines))
	for _, l := range lines {
		out = append(out, l.Port)
	}
	sort.Ints(out)
	return out
}

func lineLabels(lines []LineInfo) map[int]string {
	out := map[int]string{}
	for _, l := range lines {
		if l.Label != "" {
			out[l.Port] = l.Label
		}
	}
	return out
}

// problemsError joins render-time problems into one error.
func problemsError(probs []Problem) error {
	msgs := make([]string, 0, len(probs))
	for _, p := range probs {
		if p.Port > 0 {
			msgs = append(msgs, fmt.Sprintf("port %d: %s", p.Port, p.Detail))
			continue
		}
		msgs = append(msgs, p.Detail)
	}
	return errors.New(strings.Join(msgs, "; "))
}

// TemplateNames lists the embedded default templates, for documentation and
// for partners who want to start from a copy.
func TemplateNames() []string {
	m, _ := fs.Glob(embedded, "templates/*.tmpl")
	return m
}

// EmbeddedTemplate returns the text of a vendor's embedded default template.
func EmbeddedTemplate(vendor string) (string, error) {
	p, err := ProfileFor(vendor)
	if err != nil {
		return "", err
	}
	var text strings.Builder
	for _, name := range p.Templates {
		b, err := embedded.ReadFile("templates/" + name)
		if err != nil {
			return "", fmt.Errorf("reading embedded template %s: %w", name, err)
		}
		text.Write(b)
	}
	return text.String(), nil
}

// ProvisioningBase checks a provisioning URL and returns it ending in "/":
// absolute https, with a host, without query, fragment or user info (a
// password in a URL the configs carry would be published with them).
func ProvisioningBase(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("provisioning URL %.80q: %w", raw, err)
	}
	switch {
	case u.Scheme != "https":
		return "", fmt.Errorf("provisioning URL %.80q: expected https:// (devices download their trusted CA from it)", raw)
	case u.Host == "":
		return "", fmt.Errorf("provisioning URL %.80q: expected a host", raw)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "", fmt.Errorf("provisioning URL %.80q: expected no query, fragment or user info", raw)
	}
	s := u.String()
	if !strings.HasSuffix(s, "/") {
		s += "/"
	}
	return s, nil
}

// Trust returns the trust root the renderer installs, with its URL when a
// provisioning URL is set.
func (r *Renderer) Trust() TrustRoot { return r.sip.Trust }

// ProvisioningURL returns the provisioning base URL ("/"-terminated), or
// "" when none was given.
func (r *Renderer) ProvisioningURL() string { return r.provURL }
