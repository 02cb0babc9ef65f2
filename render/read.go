package render

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
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
// a device would perform. vendor may be empty to detect it from name and
// content. Errors name the file and, where there is one, the line.
//
// A line's Port is its account number in the config (1, 2, ... as the phone
// numbers its lines), the FXS port for an AudioCodes gateway, and the Webex
// port recorded in a generic profile. TLSMin is the lowest TLS version the
// config lets the device accept; TrustRoot is empty when the config leaves
// server certificates unchecked; Failover is "srv" (SRV targets in priority
// order), "ordered" (explicit proxies in order) or "none".
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
	if vendor == "" {
		var err error
		if vendor, err = detect(name, data); err != nil {
			return nil, err
		}
	}
	var (
		reg *Registration
		err error
	)
	switch vendor {
	case VendorYealink:
		reg, err = readYealink(data)
	case VendorPoly:
		reg, _, err = readPoly(data)
	case VendorGrandstream:
		reg, err = readGrandstream(data)
	case VendorAudioCodes:
		reg, err = readAudioCodes(data)
	case VendorGeneric:
		reg, err = readGeneric(data)
	default:
		return nil, fmt.Errorf("vendor %q: %w", vendor, ErrUnknownVendor)
	}
	if err != nil {
		return nil, err
	}
	reg.Vendor = vendor
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
	vendor, err := detect(name, data)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if vendor != VendorPoly {
		return Read(vendor, path, data)
	}
	_, refs, err := readPoly(data)
	if !errors.Is(err, ErrMasterConfig) {
		return Read(vendor, path, data)
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
		r, err := Read(VendorPoly, sub, b)
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

func detect(name string, data []byte) (string, error) {
	vendor, _, ok := vendorOf(name)
	if vendor != "" {
		return vendor, nil
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	switch {
	case bytes.HasPrefix(trimmed, []byte("#!version")):
		return VendorYealink, nil
	case bytes.HasPrefix(trimmed, []byte("<")) && (bytes.Contains(data, []byte("<polycomConfig")) || bytes.Contains(data, []byte("<APPLICATION"))):
		return VendorPoly, nil
	case bytes.HasPrefix(trimmed, []byte("<")) && bytes.Contains(data, []byte("<gs_provision")):
		return VendorGrandstream, nil
	case bytes.HasPrefix(trimmed, []byte("# cutover generic SIP profile")):
		return VendorGeneric, nil
	}
	if ok {
		return "", errors.New("a .cfg file that is neither Yealink (#!version) nor Poly (XML)")
	}
	return "", errors.New("unrecognised file name: expected <mac>.cfg, <mac>-phone.cfg, cfg<mac>.xml, <MAC>.ini or <mac>.sip.conf")
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

// hostPort splits a configured "host[:port]" proxy address. Without a port
// the device either resolves SRV (srv, port 0: see target) or uses the SIPS
// default port on an A record.
func hostPort(what, addr string, srv bool) (string, int, error) {
	if h, p, ok := strings.Cut(addr, ":"); ok {
		port, err := atoi(what, p)
		return h, port, err
	}
	if srv {
		return addr, 0, nil
	}
	return addr, DefaultSIPSPort, nil
}

// cutoverComment records a "cutover-key: value" comment (the comment text
// without its marker) in into; any other comment is ignored.
func cutoverComment(text string, into map[string]string) {
	if k, v, ok := strings.Cut(text, ":"); ok && strings.HasPrefix(k, "cutover-") {
		into[k] = strings.TrimSpace(v)
	}
}

// eachLine calls fn with the trimmed text of every non-blank line
// of a line-oriented config, stopping at fn's first error, which comes back
// prefixed with the line number. A byte-order mark on line 1 (an editor on
// Windows adds one) is dropped.
func eachLine(data []byte, fn func(line string) error) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), MaxConfigSize)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if line == "" {
			continue
		}
		if err := fn(line); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
	return sc.Err()
}

// target turns a configured proxy (host, port) into the SRV domain or the
// explicit host:port list entry: port 0 or absent means DNS SRV.
func (r *Registration) target(host string, port int) {
	if host == "" {
		return
	}
	if port == 0 {
		if r.SRVDomain == "" {
			r.SRVDomain = host
		}
		return
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

// --- Yealink -----------------------------------------------------------

func readYealink(data []byte) (*Registration, error) {
	kv := map[string]string{}
	comments := map[string]string{}
	sawHeader := false
	err := eachLine(data, func(line string) error {
		switch {
		case strings.HasPrefix(line, "#!version:"):
			sawHeader = true
			return nil
		case strings.HasPrefix(line, "#"):
			cutoverComment(strings.TrimLeft(line, "# "), comments)
			return nil
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return errors.New("expected key = value")
		}
		kv[strings.TrimSpace(k)] = strings.TrimSpace(v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !sawHeader {
		return nil, errors.New("no #!version header: Yealink phones ignore such a file")
	}
	reg := &Registration{}
	// 0 and 3 are TLS 1.0 or SSLv23 negotiating down to it.
	reg.TLSMin, err = enum{"5": "1.2", "4": "1.1", "": "1.0", "0": "1.0", "3": "1.0"}.
		get("static.security.default_ssl_method", kv["static.security.default_ssl_method"], "0, 3, 4 or 5")
	if err != nil {
		return nil, err
	}
	if kv["static.security.trust_certificates"] == "1" {
		reg.TrustRoot = comments["cutover-trust-root"]
		if reg.TrustRoot == "" {
			reg.TrustRoot = kv["static.trusted_certificates.url"]
		}
	}
	accounts := map[int]bool{}
	for k := range kv {
		rest, ok := strings.CutPrefix(k, "account.")
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ".")
		if i, err := strconv.Atoi(num); err == nil && i > 0 && kv["account."+num+".enable"] == "1" {
			accounts[i] = true
		}
	}
	for _, i := range slices.Sorted(maps.Keys(accounts)) {
		a := func(s string) string { return kv["account."+strconv.Itoa(i)+"."+s] }
		what := func(s string) string { return fmt.Sprintf("account.%d.%s", i, s) }
		if reg.Transport == "" {
			reg.Transport, err = enum{"": "udp", "0": "udp", "1": "tcp", "2": "tls", "3": "dns-naptr"}.
				get(what("sip_server.1.transport_type"), a("sip_server.1.transport_type"), "0 to 3")
			if err != nil {
				return nil, err
			}
			if reg.Expires, err = optAtoi(what("sip_server.1.expires"), a("sip_server.1.expires")); err != nil {
				return nil, err
			}
			reg.UserAgent = a("custom_ua")
		}
		domain := a("sip_server.1.address")
		// The account registers through its outbound proxy when one is on,
		// else straight to its SIP server.
		host, server := domain, "sip_server.1"
		if a("outbound_proxy_enable") == "1" {
			host, server = a("outbound_proxy.1.address"), "outbound_proxy.1"
		}
		port, err := optAtoi(what(server+".port"), a(server+".port"))
		if err != nil {
			return nil, err
		}
		reg.target(host, port)
		reg.Lines = append(reg.Lines, LineRegistration{
			Port: i, User: a("user_name"), Domain: domain, AuthUser: a("auth_name"),
			Password: a("password"), DisplayName: a("display_name"),
		})
	}
	return reg, nil
}

// --- XML (Poly, Grandstream) --------------------------------------------

type xmlDoc struct {
	root     string
	attrs    map[string]string // every attribute of every element
	elems    map[string]string // text of leaf elements, by element name
	comments map[string]string // cutover-key: value comments
}

func parseXML(data []byte) (*xmlDoc, error) {
	d := &xmlDoc{attrs: map[string]string{}, elems: map[string]string{}, comments: map[string]string{}}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	var stack []string
	var text strings.Builder
	for {
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
			text.Reset()
			for _, a := range t.Attr {
				d.attrs[a.Name.Local] = a.Value
			}
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			if len(stack) > 0 {
				d.elems[stack[len(stack)-1]] = strings.TrimSpace(text.String())
				stack = stack[:len(stack)-1]
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

// readPoly returns the registration of a per-phone file, or (nil, refs) for
// a master config.
func readPoly(data []byte) (*Registration, []string, error) {
	d, err := parseXML(data)
	if err != nil {
		return nil, nil, err
	}
	if d.root == "APPLICATION" {
		var refs []string
		for _, f := range strings.Split(d.attrs["CONFIG_FILES"], ",") {
			if f = strings.TrimSpace(f); f != "" {
				refs = append(refs, f)
			}
		}
		return nil, refs, ErrMasterConfig
	}
	a := d.attrs
	reg := &Registration{UserAgent: d.comments["cutover-user-agent"]}
	reg.TLSMin, err = enum{"TLSv1_2": "1.2", "TLSv1_1": "1.1", "": "1.0", "TLSv1_0": "1.0", "SSLv2v3": "1.0"}.
		get("device.sec.TLS.protocol.sip", a["device.sec.TLS.protocol.sip"], "SSLv2v3 or TLSv1_0 to TLSv1_2")
	if err != nil {
		return nil, nil, err
	}
	if pemText := a["sec.TLS.customCaCert.1"]; pemText != "" {
		if b, _ := pem.Decode([]byte(pemText)); b != nil {
			if c, err := x509.ParseCertificate(b.Bytes); err == nil {
				reg.TrustRoot = c.Subject.CommonName
			}
		}
		if reg.TrustRoot == "" {
			return nil, nil, errors.New("sec.TLS.customCaCert.1: not a PEM certificate")
		}
	} else {
		reg.TrustRoot = d.comments["cutover-trust-root"]
	}
	transport := func(s string) string {
		switch s {
		case "TLS":
			return "tls"
		case "TCPOnly", "TCPpreferred":
			return "tcp"
		case "UDPOnly":
			return "udp"
		}
		return "dns-naptr"
	}
	for i := 1; ; i++ {
		p := func(s string) string { return a["reg."+strconv.Itoa(i)+"."+s] }
		aor := p("address")
		if aor == "" {
			break
		}
		domain := p("server.1.address")
		user, d := splitAOR(aor, domain)
		proxy, pport, ptr := p("outboundProxy.address"), p("outboundProxy.port"), p("outboundProxy.transport")
		if proxy == "" {
			proxy, pport, ptr = a["voIpProt.SIP.outboundProxy.address"], a["voIpProt.SIP.outboundProxy.port"], a["voIpProt.SIP.outboundProxy.transport"]
		}
		if proxy == "" {
			proxy, pport, ptr = domain, p("server.1.port"), p("server.1.transport")
		}
		port, err := optAtoi(fmt.Sprintf("reg.%d outbound proxy port", i), pport)
		if err != nil {
			return nil, nil, err
		}
		reg.target(proxy, port)
		if reg.Transport == "" {
			reg.Transport = transport(ptr)
			if reg.Expires, err = optAtoi(fmt.Sprintf("reg.%d.server.1.expires", i), p("server.1.expires")); err != nil {
				return nil, nil, err
			}
		}
		reg.Lines = append(reg.Lines, LineRegistration{
			Port: i, User: user, Domain: d, AuthUser: p("auth.userId"),
			Password: p("auth.password"), DisplayName: p("displayName"),
		})
	}
	return reg, nil, nil
}

func readGrandstream(data []byte) (*Registration, error) {
	d, err := parseXML(data)
	if err != nil {
		return nil, err
	}
	if d.root != "gs_provision" {
		return nil, fmt.Errorf("root element <%s>: expected <gs_provision>", d.root)
	}
	reg := &Registration{UserAgent: d.comments["cutover-user-agent"]}
	reg.TLSMin, err = enum{"12": "1.2", "11": "1.1", "": "1.0", "10": "1.0"}.
		get("P22293 (minimum TLS version)", d.elems["P22293"], "10, 11 or 12")
	if err != nil {
		return nil, err
	}
	for acct := 1; acct <= gsMaxAccounts; acct++ {
		p := func(key string) string {
			name, _ := gsParam(key, acct)
			return d.elems[name]
		}
		if p("active") != "1" {
			continue
		}
		if reg.TrustRoot == "" && p("checkcert") == "1" && p("chain") == "1" {
			reg.TrustRoot = d.comments["cutover-trust-root"]
		}
		if reg.Transport == "" {
			reg.Transport, err = enum{"": "udp", "0": "udp", "1": "tcp", "2": "tls"}.
				get(fmt.Sprintf("account %d SIP transport", acct), p("transport"), "0, 1 or 2")
			if err != nil {
				return nil, err
			}
			m, err := optAtoi(fmt.Sprintf("account %d register expiration", acct), p("expires"))
			if err != nil {
				return nil, err
			}
			reg.Expires = m * 60 // the phone counts minutes
		}
		domain := p("server")
		proxy := p("proxy")
		if proxy == "" {
			proxy = domain
		}
		dm := p("dnsmode") // 1 SRV, 2 NAPTR/SRV; else A record and the transport's default port
		host, port, err := hostPort(fmt.Sprintf("account %d proxy port", acct), proxy, dm == "1" || dm == "2")
		if err != nil {
			return nil, err
		}
		reg.target(host, port)
		reg.Lines = append(reg.Lines, LineRegistration{
			Port: acct, User: p("user"), Domain: domain, AuthUser: p("authid"),
			Password: p("password"), DisplayName: p("display"),
		})
	}
	return reg, nil
}

// --- AudioCodes ini ------------------------------------------------------

type iniTable struct {
	cols []string
	rows map[int]map[string]string
}

func readAudioCodes(data []byte) (*Registration, error) {
	kv := map[string]string{}
	tables := map[string]*iniTable{}
	comments := map[string]string{}
	var cur string
	err := eachLine(data, func(line string) error {
		switch {
		case strings.HasPrefix(line, ";"):
			cutoverComment(strings.TrimSpace(strings.TrimPrefix(line, ";")), comments)
			return nil
		case strings.HasPrefix(line, "["):
			inner := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, "["), "]"))
			switch {
			case strings.HasPrefix(inner, `\`):
				if cur == "" || strings.TrimPrefix(inner, `\`) != cur {
					return fmt.Errorf("table end %s without its start", line)
				}
				cur = ""
			case strings.HasPrefix(line, "[ "):
				cur = inner
				tables[cur] = &iniTable{rows: map[int]map[string]string{}}
			default:
				cur = "" // a section header such as [SIP Params]
			}
			return nil
		}
		if cur != "" {
			return tableLine(tables[cur], cur, line)
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return errors.New("expected Name = value")
		}
		kv[strings.TrimSpace(k)] = unquote(strings.TrimSpace(v))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if cur != "" {
		return nil, fmt.Errorf("table %s: no end line [ \\%s ]", cur, cur)
	}
	reg := &Registration{UserAgent: kv["UserAgentDisplayInfo"]}
	reg.Transport, err = enum{"": "udp", "0": "udp", "1": "tcp", "2": "tls"}.
		get("SIPTransportType", kv["SIPTransportType"], "0, 1 or 2")
	if err != nil {
		return nil, err
	}
	// TLSVersion: 0 SSL2-TLS1.0, 1 TLS1.0, 2 TLS1.1, 3 TLS1.0+1.1, 4 TLS1.2,
	// 5 TLS1.0+1.2, 6 TLS1.1+1.2, 7 TLS1.0-1.2: the minimum is what matters.
	reg.TLSMin, err = enum{"": "1.0", "0": "1.0", "1": "1.0", "2": "1.1", "3": "1.0", "4": "1.2", "5": "1.0", "6": "1.1", "7": "1.0"}.
		get("TLSVersion", kv["TLSVersion"], "0 to 7")
	if err != nil {
		return nil, err
	}
	if kv["VerifyServerCertificate"] == "1" {
		reg.TrustRoot = comments["cutover-trust-root"]
	}
	if reg.Expires, err = optAtoi("RegistrationTime", kv["RegistrationTime"]); err != nil {
		return nil, err
	}
	srv := kv["ProxyDNSQueryType"] == "1" || kv["ProxyDNSQueryType"] == "2"
	if t := tables["ProxyIp"]; t != nil {
		for _, idx := range t.sorted() {
			host, port, err := hostPort("ProxyIp port", t.rows[idx]["ProxyIp_IpAddress"], srv)
			if err != nil {
				return nil, err
			}
			reg.target(host, port)
		}
	}
	domain := kv["ProxyName"]
	auth := map[int][2]string{}
	if t := tables["Authentication"]; t != nil {
		for _, idx := range t.sorted() {
			r := t.rows[idx]
			port, err := atoi("Authentication_Port", r["Authentication_Port"])
			if err != nil {
				return nil, err
			}
			auth[port] = [2]string{r["Authentication_UserId"], r["Authentication_UserPassword"]}
		}
	}
	if t := tables["TrunkGroup"]; t != nil {
		for _, idx := range t.sorted() {
			r := t.rows[idx]
			first, err := atoi("TrunkGroup_FirstBChannel", r["TrunkGroup_FirstBChannel"])
			if err != nil {
				return nil, err
			}
			last, err := atoi("TrunkGroup_LastBChannel", r["TrunkGroup_LastBChannel"])
			if err != nil {
				return nil, err
			}
			if last != first {
				return nil, fmt.Errorf("TrunkGroup %d: ports %d-%d: expected one port per row", idx, first, last)
			}
			a := auth[first]
			reg.Lines = append(reg.Lines, LineRegistration{
				Port: first, User: r["TrunkGroup_FirstPhoneNumber"], Domain: domain, AuthUser: a[0], Password: a[1],
			})
		}
	}
	sort.SliceStable(reg.Lines, func(i, j int) bool { return reg.Lines[i].Port < reg.Lines[j].Port })
	return reg, nil
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

// --- generic --------------------------------------------------------------

func readGeneric(data []byte) (*Registration, error) {
	reg := &Registration{}
	section := ""
	lines := map[int]*LineRegistration{}
	err := eachLine(data, func(line string) error {
		if strings.HasPrefix(line, "#") {
			return nil
		}
		if strings.HasPrefix(line, "[") {
			if !strings.HasSuffix(line, "]") {
				return errors.New("section header without ']'")
			}
			section = strings.TrimSpace(line[1 : len(line)-1])
			if rest, ok := strings.CutPrefix(section, "line "); ok {
				i, err := atoi("line number", rest)
				if err != nil || i == 0 {
					return fmt.Errorf("section [%s]: expected [line N], N from 1", section)
				}
				if lines[i] != nil {
					return fmt.Errorf("section [%s] appears twice", section)
				}
				lines[i] = &LineRegistration{Port: i}
			} else if section != "device" && section != "sip" {
				return fmt.Errorf("unknown section [%s]: expected device, sip or line N", section)
			}
			return nil
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return errors.New("expected key = value")
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		var err error
		switch {
		case section == "device" && k == "user_agent":
			reg.UserAgent = v
		case section == "sip":
			switch k {
			case "srv_domain":
				reg.SRVDomain = v
			case "proxies":
				for _, p := range strings.Split(v, ",") {
					if p = strings.TrimSpace(p); p != "" {
						reg.Proxies = append(reg.Proxies, p)
					}
				}
			case "transport":
				reg.Transport = v
			case "tls_min":
				reg.TLSMin = v
			case "trust_root":
				reg.TrustRoot = v
			case "expires":
				reg.Expires, err = atoi("expires", v)
			}
		case strings.HasPrefix(section, "line "):
			i, _ := atoi("", strings.TrimPrefix(section, "line "))
			l := lines[i]
			switch k {
			case "port":
				l.Port, err = atoi("port", v)
			case "user":
				l.User = v
			case "domain":
				l.Domain = v
			case "auth_user":
				l.AuthUser = v
			case "password":
				l.Password = v
			case "display_name":
				l.DisplayName = v
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, i := range slices.Sorted(maps.Keys(lines)) {
		reg.Lines = append(reg.Lines, *lines[i])
	}
	return reg, nil
}
