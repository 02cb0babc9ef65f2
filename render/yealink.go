package render

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// yealinkProfile: Yealink T4x/T5x, <mac>.cfg (templates/yealink.tmpl).
// Facts: ../shared/VENDOR-FACTS.md, Yealink.
var yealinkProfile = &Profile{
	Vendor: VendorYealink, Name: "Yealink", Templates: []string{"yealink.tmpl"},
	files: func(mac string) []string { return []string{strings.ToLower(mac) + ".cfg"} },
	match: func(lower string) (string, bool) { return macFrom(lower, "", ".cfg") },
	sniff: func(trimmed, _ []byte) bool { return bytes.HasPrefix(trimmed, []byte("#!version")) },
	read: func(data []byte) (*Registration, []string, error) {
		reg, err := readYealink(data)
		return reg, nil, err
	},
	Models: []ModelCaps{
		{Prefix: "T4", Lines: 16, TLS12: Yes, Source: "T4x: at most 16 accounts (datasheets); static.security.default_ssl_method 5 = TLS 1.2 (fusionpbx app/yealink/app_config.php)"},
		{Prefix: "T5", Lines: 16, TLS12: Yes, Source: "T5x: at most 16 accounts (datasheets); static.security.default_ssl_method 5 = TLS 1.2"},
	},
	Default: ModelCaps{TLS12: Yes, Source: "static.security.default_ssl_method 5 = TLS 1.2 (fusionpbx app/yealink/app_config.php)"},
	value:   lineValue,
}

// Yealink documented values (VENDOR-FACTS.md).
var (
	yealinkTransport = enum{"": "udp", "0": "udp", "1": "tcp", "2": "tls", "3": "dns-naptr"}
	// default_ssl_method: 0 TLS 1.0, 3 SSLv23 (negotiates down to TLS 1.0;
	// the default), 4 TLS 1.1, 5 TLS 1.2.
	yealinkTLS = map[string][2]string{"": {"1.0", "1.2"}, "3": {"1.0", "1.2"}, "0": {"1.0", "1.0"}, "4": {"1.1", "1.1"}, "5": {"1.2", "1.2"}}
)

func readYealink(data []byte) (*Registration, error) {
	f := newKV()
	comments := map[string]string{}
	sawHeader := false
	err := eachLine(data, func(n int, line string) error {
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
		f.put(strings.TrimSpace(k), strings.TrimSpace(v), n)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !sawHeader {
		return nil, errors.New("no #!version header: Yealink phones ignore such a file")
	}
	reg := &Registration{}
	const ssl = "static.security.default_ssl_method"
	tr, ok := yealinkTLS[f.get(ssl)]
	if !ok {
		return nil, f.at(ssl, fmt.Errorf("%s %q: expected 0, 3, 4 or 5", ssl, f.get(ssl)))
	}
	reg.tlsRange(tr[0], tr[1], f.setting(ssl, "5"))

	const trust = "static.security.trust_certificates"
	switch f.get(trust) {
	case "1":
		reg.Verify = true
	case "0":
	case "":
		reg.unknown(SettingVerify, trust+" is not set: the firmware default is not documented")
	default:
		return nil, f.at(trust, fmt.Errorf("%s %q: expected 0 or 1", trust, f.get(trust)))
	}
	reg.set(SettingVerify, f.setting(trust, "1"))

	const caURL = "static.trusted_certificates.url"
	reg.set(SettingCA, f.setting(caURL, "the https:// URL of the CA PEM published beside the configs (render --provisioning-url)"))
	if u := f.get(caURL); u != "" {
		// The phone adds the downloaded certificate to its trusted list.
		reg.CASet = CAAll
		reg.TrustRoot = trustName(comments, u)
		if absoluteURL(u) {
			reg.TrustURL = u
		} else {
			reg.unknownFix(SettingCA, fmt.Sprintf("%s %q is not an absolute URL: whether the firmware fetches a bare file name from the provisioning server is not documented", caURL, u), FixProvisioningURL)
		}
	} else {
		reg.CASet = CADefault
		reg.unknown(SettingCA, caURL+" is not set: whether the phone's built-in CA list holds the IdenTrust roots is not documented")
	}

	accounts := map[int]bool{}
	for _, k := range f.keys() {
		rest, ok := strings.CutPrefix(k, "account.")
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ".")
		if i, err := strconv.Atoi(num); err == nil && i > 0 && f.get("account."+num+".enable") == "1" {
			accounts[i] = true
		}
	}
	for _, i := range slices.Sorted(maps.Keys(accounts)) {
		l, err := readYealinkAccount(f, reg, i)
		if err != nil {
			return nil, err
		}
		reg.Lines = append(reg.Lines, l)
	}
	return reg, nil
}

func readYealinkAccount(f *kv, reg *Registration, i int) (LineRegistration, error) {
	key := func(s string) string { return "account." + strconv.Itoa(i) + "." + s }
	a := func(s string) string { return f.get(key(s)) }
	first := len(reg.Lines) == 0
	tk := key("sip_server.1.transport_type")
	transport, err := yealinkTransport.get(tk, a("sip_server.1.transport_type"), "0 to 3")
	if err != nil {
		return LineRegistration{}, f.at(tk, err)
	}
	server := a("sip_server.1.address")
	sport, err := optAtoi(key("sip_server.1.port"), a("sip_server.1.port"))
	if err != nil {
		return LineRegistration{}, f.at(key("sip_server.1.port"), err)
	}
	l := LineRegistration{
		Port: i, User: a("user_name"), Domain: server, AuthUser: a("auth_name"),
		Password: a("password"), DisplayName: a("display_name"),
		Server: server, ServerPort: sport, Transport: transport,
	}
	// The account registers through its outbound proxy when one is on, else
	// straight to its SIP server.
	host, port, portKey := server, sport, key("sip_server.1.port")
	if a("outbound_proxy_enable") == "1" {
		pk := key("outbound_proxy.1.port")
		pport, err := optAtoi(pk, a("outbound_proxy.1.port"))
		if err != nil {
			return LineRegistration{}, f.at(pk, err)
		}
		l.Proxy, l.ProxyPort = a("outbound_proxy.1.address"), pport
		host, port, portKey = l.Proxy, pport, pk
	}
	// Port 0 means a DNS lookup: NAPTR (then SRV) with transport 3, SRV
	// built by the phone with naptr_build = 1; with transport 2 alone no
	// source documents an SRV lookup (VENDOR-FACTS.md).
	nb := key("naptr_build")
	switch {
	case port != 0:
		l.DNS = DNSA
	case transport == "dns-naptr":
		l.DNS = DNSNAPTR
	case a("naptr_build") == "1":
		l.DNS = DNSSRV
	default:
		l.DNS = DNSUnknown
	}
	dns := f.setting(nb, "1 (with port 0 and transport_type 2: SRV _sips._tcp)")
	if port != 0 {
		dns = f.setting(portKey, "0 (with naptr_build 1: SRV _sips._tcp)")
	}
	l.Settings = map[string]Setting{SettingTransport: f.setting(tk, "2"), SettingDNS: dns}
	if first {
		reg.Transport = transport
		reg.set(SettingTransport, l.Settings[SettingTransport])
		reg.DNS = l.DNS
		reg.set(SettingDNS, dns)
		if l.DNS == DNSUnknown {
			reg.unknown(SettingDNS, fmt.Sprintf("%s = 0 with transport_type %s and no naptr_build: no source documents an SRV lookup", portKey, a("sip_server.1.transport_type")))
		}
		ek := key("sip_server.1.expires")
		if reg.Expires, err = optAtoi(ek, a("sip_server.1.expires")); err != nil {
			return LineRegistration{}, f.at(ek, err)
		}
		reg.UserAgent = a("custom_ua")
		fm, ft := key("sip_server.1.failback_mode"), key("sip_server.1.failback_timeout")
		switch a("sip_server.1.failback_mode") {
		case "3":
			reg.FailbackMode = FailbackDuration
		case "":
		default:
			reg.FailbackMode = "failback_mode " + a("sip_server.1.failback_mode")
		}
		if reg.FailbackSeconds, err = optAtoi(ft, a("sip_server.1.failback_timeout")); err != nil {
			return LineRegistration{}, f.at(ft, err)
		}
		s := f.setting(fm, "3, with failback_timeout from 60 to 65535")
		if reg.FailbackMode == FailbackDuration {
			s = f.setting(ft, "a value from 60 to 65535")
		}
		reg.set(SettingFailback, s)
	}
	reg.target(host, port, l.DNS)
	return l, nil
}
