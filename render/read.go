package render

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// MaxConfigSize bounds what the readers accept: configs are kilobytes.
const MaxConfigSize = 4 << 20

// ErrMasterConfig is returned by Read for a Poly master config, which
// references the files that hold the registration; ReadFile follows them.
var ErrMasterConfig = errors.New("a Poly master config holds no registration; read the files in its CONFIG_FILES")

// ErrNoLines is returned for a config in which no line registers.
var ErrNoLines = errors.New("no registering line")

// Read parses one config file of a vendor family back into the registration
// a device would perform, as the vendor's firmware documents it (the
// vendor's profile). vendor may be empty to detect it from name and content.
// A value the reader cannot interpret is an error naming the file and line.
//
// A line's Port is its account number in the config (1, 2, ... as the phone
// numbers its lines), the FXS port for an AudioCodes gateway, and the Webex
// port recorded in a generic profile. Failover is "srv" (SRV targets in
// priority order), "ordered" (explicit proxies in order) or "none".
func Read(vendor, name string, data []byte) (*Registration, error) {
	reg, err := read(vendor, name, data)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return reg, nil
}

func read(vendor, name string, data []byte) (*Registration, error) {
	if len(data) > MaxConfigSize {
		return nil, fmt.Errorf("%d bytes: larger than %d", len(data), MaxConfigSize)
	}
	var p *Profile
	var err error
	if vendor == "" {
		p, err = detect(name, data)
	} else {
		p, err = ProfileFor(vendor)
	}
	if err != nil {
		return nil, err
	}
	reg, _, err := p.read(data)
	if err != nil {
		return nil, err
	}
	reg.Vendor = p.Vendor
	if len(reg.Lines) == 0 {
		return nil, ErrNoLines
	}
	finish(reg)
	return reg, nil
}

// ReadFile reads a config file, detecting the vendor from its name and
// content. For a Poly master config it reads the per-phone files it lists
// from the same directory.
func ReadFile(path string) (*Registration, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	name := filepath.Base(path)
	p, err := detect(name, data)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	_, refs, err := p.read(data)
	if !errors.Is(err, ErrMasterConfig) {
		return Read(p.Vendor, path, data)
	}
	for _, ref := range refs {
		if ref == "" || ref != filepath.Base(ref) || strings.HasPrefix(ref, ".") {
			return nil, fmt.Errorf("reading %s: CONFIG_FILES entry %q: expected a file name in the same directory", path, ref)
		}
		sub := filepath.Join(filepath.Dir(path), ref)
		b, err := readLimited(sub)
		if err != nil {
			return nil, fmt.Errorf("reading %s: CONFIG_FILES: %w", path, err)
		}
		r, err := Read(p.Vendor, sub, b)
		if errors.Is(err, ErrNoLines) {
			continue // e.g. a site-wide file without registrations
		}
		return r, err
	}
	return nil, fmt.Errorf("reading %s: CONFIG_FILES %q: %w", path, refs, ErrNoLines)
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(b) > MaxConfigSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, MaxConfigSize)
	}
	return b, nil
}

// finish fills what follows from the rest: the failover mode.
func finish(r *Registration) {
	switch {
	case r.SRVDomain != "":
		r.Failover = "srv" // SRV targets in priority order, back to the primary
	case len(r.Proxies) > 1:
		r.Failover = "ordered"
	default:
		r.Failover = "none"
	}
}

// splitAOR splits user@domain; a bare user takes the fallback domain.
func splitAOR(aor, fallback string) (string, string) {
	if u, d, ok := strings.Cut(aor, "@"); ok {
		return u, d
	}
	return aor, fallback
}

func atoi(what, s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s %q: expected a non-negative integer", what, s)
	}
	return n, nil
}

// optAtoi is atoi for an optional setting: absent ("") reads as 0.
func optAtoi(what, s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	return atoi(what, s)
}

// enum maps the codes a vendor writes for one setting to ours. Each reader
// spells its own table so the vendor's format stays visible where it is read.
type enum map[string]string

// get returns the value for code, or an error naming the setting (what) and
// the codes it takes (expect).
func (e enum) get(what, code, expect string) (string, error) {
	if v, ok := e[code]; ok {
		return v, nil
	}
	return "", fmt.Errorf("%s %q: expected %s", what, code, expect)
}

// hostPort splits a configured "host[:port]" address; without a port it
// returns 0 (the transport's default port, or DNS SRV where the mode says so).
func hostPort(what, addr string) (string, int, error) {
	if h, p, ok := strings.Cut(addr, ":"); ok {
		port, err := atoi(what, p)
		return h, port, err
	}
	return addr, 0, nil
}

// cutoverComment records a "cutover-key: value" comment (the comment text
// without its marker) in into; any other comment is ignored.
func cutoverComment(text string, into map[string]string) {
	if k, v, ok := strings.Cut(text, ":"); ok && strings.HasPrefix(k, "cutover-") {
		into[k] = strings.TrimSpace(v)
	}
}

// trustName names the CA a config installs from a file or URL: the name
// cutover recorded when it rendered that very file (cutover-trust-root and
// cutover-trust-file comments), else the file itself (a certificate whose
// name a reader cannot know without fetching it).
func trustName(comments map[string]string, file string) string {
	if name := comments["cutover-trust-root"]; name != "" && comments["cutover-trust-file"] == file {
		return name
	}
	return file
}

// eachLine calls fn with the number and trimmed text of every non-blank
// line of a line-oriented config, stopping at fn's first error, which comes
// back prefixed with the line number. A byte-order mark on line 1 (an
// editor on Windows adds one) is dropped.
func eachLine(data []byte, fn func(n int, line string) error) error {
	// data is in memory already: lines are cut from it, without a
	// scanner's buffer (64 KiB per config read, a sixteenth of the
	// 5,000-device demo's allocations).
	for n := 1; len(data) > 0; n++ {
		var raw []byte
		raw, data, _ = bytes.Cut(data, []byte{'\n'})
		raw = bytes.TrimSpace(raw)
		if n == 1 {
			raw = bytes.TrimPrefix(raw, []byte("\ufeff"))
		}
		if len(raw) == 0 {
			continue
		}
		if err := fn(n, string(raw)); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
	return nil
}

// kv is a key = value config (Yealink, AudioCodes) with the line of each key.
type kv struct {
	vals  map[string]string
	lines map[string]int
}

func newKV() *kv { return &kv{vals: map[string]string{}, lines: map[string]int{}} }

func (f *kv) put(k, v string, line int) { f.vals[k], f.lines[k] = v, line }
func (f *kv) get(k string) string       { return f.vals[k] }
func (f *kv) has(k string) bool         { _, ok := f.vals[k]; return ok }

// at prefixes err with the line of key k (the key's file line).
func (f *kv) at(k string, err error) error {
	if err == nil {
		return nil
	}
	if n := f.lines[k]; n > 0 {
		return fmt.Errorf("line %d: %w", n, err)
	}
	return err
}

// setting describes key k and the value Webex needs.
func (f *kv) setting(k, want string) Setting {
	return Setting{Param: k, Value: f.vals[k], Line: f.lines[k], Want: want}
}

func (f *kv) keys() []string { return slices.Sorted(maps.Keys(f.vals)) }

// target turns a configured proxy (host, port) into the SRV domain or the
// explicit host:port list entry, by the DNS mode the vendor documents for
// the line's combination of transport and port.
func (r *Registration) target(host string, port int, dns string) {
	if host == "" {
		return
	}
	if port == 0 && (dns == DNSSRV || dns == DNSNAPTR) {
		if r.SRVDomain == "" {
			r.SRVDomain = host
		}
		return
	}
	if port == 0 {
		port = DefaultSIPSPort
		if r.Transport == "udp" || r.Transport == "tcp" {
			port = 5060
		}
	}
	hp := host + ":" + strconv.Itoa(port)
	for _, p := range r.Proxies {
		if p == hp {
			return
		}
	}
	r.Proxies = append(r.Proxies, hp)
	if r.Port == 0 {
		r.Port = port
	}
}

// tlsRange sets the TLS bounds and the setting that decided them.
func (r *Registration) tlsRange(min, max string, s Setting) {
	r.TLSMin, r.TLSMax = min, max
	r.set(SettingTLSMin, s)
}

// --- XML (Poly, Grandstream) --------------------------------------------

type xmlDoc struct {
	root     string
	attrs    map[string]string // every attribute of every element
	attrLine map[string]int
	elems    map[string]string // text of leaf elements, by element name
	elemLine map[string]int
	comments map[string]string // cutover-key: value comments
}

func parseXML(data []byte) (*xmlDoc, error) {
	d := &xmlDoc{attrs: map[string]string{}, attrLine: map[string]int{}, elems: map[string]string{},
		elemLine: map[string]int{}, comments: map[string]string{}}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	var stack []string
	var starts []int
	var text strings.Builder
	for {
		line, _ := dec.InputPos()
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, _ := dec.InputPos()
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if d.root == "" {
				d.root = t.Name.Local
			}
			stack = append(stack, t.Name.Local)
			starts = append(starts, line)
			text.Reset()
			for _, a := range t.Attr {
				d.attrs[a.Name.Local] = a.Value
				d.attrLine[a.Name.Local] = attrLine(data, line, a.Name.Local)
			}
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			if len(stack) > 0 {
				name := stack[len(stack)-1]
				d.elems[name] = strings.TrimSpace(text.String())
				d.elemLine[name] = starts[len(starts)-1]
				stack, starts = stack[:len(stack)-1], starts[:len(starts)-1]
			}
			text.Reset()
		case xml.Comment:
			cutoverComment(strings.TrimSpace(string(t)), d.comments)
		}
	}
	if d.root == "" {
		return nil, errors.New("no XML element")
	}
	return d, nil
}

// attrLine finds the line of attribute name in an element that starts on
// line from (the decoder reports positions per token, not per attribute).
func attrLine(data []byte, from int, name string) int {
	n := 1
	rest := data
	for n < from {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return from
		}
		rest, n = rest[i+1:], n+1
	}
	i := bytes.Index(rest, []byte(name+"="))
	if i < 0 {
		return from
	}
	return from + bytes.Count(rest[:i], []byte("\n"))
}

// at prefixes err with the line of attribute k.
func (d *xmlDoc) at(k string, err error) error {
	if err == nil {
		return nil
	}
	if n := d.attrLine[k]; n > 0 {
		return fmt.Errorf("line %d: %w", n, err)
	}
	if n := d.elemLine[k]; n > 0 {
		return fmt.Errorf("line %d: %w", n, err)
	}
	return err
}

func (d *xmlDoc) attrSetting(k, want string) Setting {
	return Setting{Param: k, Value: d.attrs[k], Line: d.attrLine[k], Want: want}
}

func (d *xmlDoc) elemSetting(k, want string) Setting {
	return Setting{Param: k, Value: d.elems[k], Line: d.elemLine[k], Want: want}
}

type iniTable struct {
	cols []string
	rows map[int]map[string]string
}

func (t *iniTable) sorted() []int { return slices.Sorted(maps.Keys(t.rows)) }

func tableLine(t *iniTable, name, line string) error {
	line = strings.TrimSuffix(line, ";")
	if rest, ok := strings.CutPrefix(line, "FORMAT "); ok {
		_, cols, ok := strings.Cut(rest, "=")
		if !ok {
			return fmt.Errorf("table %s: FORMAT line without '='", name)
		}
		for _, c := range strings.Split(cols, ",") {
			t.cols = append(t.cols, strings.TrimSpace(c))
		}
		return nil
	}
	if t.cols == nil {
		return fmt.Errorf("table %s: a row before the FORMAT line", name)
	}
	head, vals, ok := strings.Cut(line, "=")
	if !ok {
		return fmt.Errorf("table %s: expected %s <index> = values", name, name)
	}
	f := strings.Fields(head)
	if len(f) != 2 || f[0] != name {
		return fmt.Errorf("table %s: expected %s <index> = values", name, name)
	}
	idx, err := atoi(name+" index", f[1])
	if err != nil {
		return err
	}
	fields, err := splitCSV(vals)
	if err != nil {
		return fmt.Errorf("table %s row %d: %w", name, idx, err)
	}
	if len(fields) != len(t.cols) {
		return fmt.Errorf("table %s row %d: %d values for %d columns", name, idx, len(fields), len(t.cols))
	}
	row := map[string]string{}
	for i, c := range t.cols {
		row[c] = fields[i]
	}
	t.rows[idx] = row
	return nil
}

// splitCSV splits an ini table row: comma-separated, strings in double quotes.
func splitCSV(s string) ([]string, error) {
	var out []string
	var b strings.Builder
	inQ := false
	for _, r := range s {
		switch {
		case r == '"':
			inQ = !inQ
		case r == ',' && !inQ:
			out = append(out, strings.TrimSpace(b.String()))
			b.Reset()
		default:
			b.WriteRune(r)
		}
	}
	if inQ {
		return nil, errors.New("unterminated quoted string")
	}
	return append(out, strings.TrimSpace(b.String())), nil
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}
