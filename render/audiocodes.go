package render

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// audiocodesProfile: AudioCodes MediaPack MP-1xx analog gateways, <MAC>.ini
// (templates/audiocodes.tmpl). Facts: ../shared/VENDOR-FACTS.md, AudioCodes.
//
// TLS 1.2: firmware 6.4/6.6 (the last MP-11x release) documents TLSVersion
// 0 (SSL 2.0-3.0 and TLS 1.0) and 1 (TLS 1.0 only); no value for TLS 1.2 is
// documented, and whether the firmware can do TLS 1.2 at all is unknown.
// cutover renders no TLSVersion (any documented value would cap the gateway
// below TLS 1.2) and certification reports the TLS floor as not certifiable
// rather than passing it. A model known not to reach TLS 1.2 (TLS12: No) is
// refused at validate.
var audiocodesProfile = &Profile{
	Vendor: VendorAudioCodes, Name: "AudioCodes", Templates: []string{"audiocodes.tmpl"},
	files: func(mac string) []string { return []string{mac + ".ini"} },
	match: func(lower string) (string, bool) { return macFrom(lower, "", ".ini") },
	sniff: func([]byte, []byte) bool { return false }, // the name decides
	read: func(data []byte) (*Registration, []string, error) {
		reg, err := readAudioCodes(data)
		return reg, nil, err
	},
	Models: []ModelCaps{
		{Prefix: "MP114", Lines: 4, TLS12: Unsure, Source: "MP-114: 4 FXS ports (datasheet); firmware 6.6 documents no TLS 1.2 setting"},
		{Prefix: "MP118", Lines: 8, TLS12: Unsure, Source: "MP-118: 8 FXS ports (datasheet); firmware 6.6 documents no TLS 1.2 setting"},
		{Prefix: "MP124", Lines: 24, TLS12: Unsure, Source: "MP-124: 24 FXS ports (datasheet); firmware 6.6 documents no TLS 1.2 setting"},
	},
	Default: ModelCaps{TLS12: Unsure, Source: "firmware 7.x sets the TLS version in the TLSContexts table; the value for TLS 1.2 is not documented here"},
	value:   iniString,
}

// AudioCodes documented values (VENDOR-FACTS.md).
var (
	acTransport = enum{"": "udp", "0": "udp", "1": "tcp", "2": "tls"}
	// TLSVersion in firmware 6.4/6.6: 0 SSL 2.0-3.0 and TLS 1.0, 1 TLS 1.0 only.
	acTLS = map[string][2]string{"0": {"1.0", "1.0"}, "1": {"1.0", "1.0"}}
	acDNS = enum{"": DNSA, "0": DNSA, "1": DNSSRV, "2": DNSNAPTR}
)

func readAudioCodes(data []byte) (*Registration, error) {
	f := newKV()
	tables := map[string]*iniTable{}
	tableStart := map[string]int{}
	comments := map[string]string{}
	var cur string
	err := eachLine(data, func(n int, line string) error {
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
				tableStart[cur] = n
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
		f.put(strings.TrimSpace(k), unquote(strings.TrimSpace(v)), n)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if cur != "" {
		return nil, fmt.Errorf("table %s: no end line [ \\%s ]", cur, cur)
	}
	reg := &Registration{UserAgent: f.get("UserAgentDisplayInfo")}
	if reg.Transport, err = acTransport.get("SIPTransportType", f.get("SIPTransportType"), "0, 1 or 2"); err != nil {
		return nil, f.at("SIPTransportType", err)
	}
	reg.set(SettingTransport, f.setting("SIPTransportType", "2"))
	if f.has("TLSVersion") {
		tr, ok := acTLS[f.get("TLSVersion")]
		if !ok {
			return nil, f.at("TLSVersion", fmt.Errorf("TLSVersion %q: expected 0 or 1 (the values firmware 6.x documents)", f.get("TLSVersion")))
		}
		reg.tlsRange(tr[0], tr[1], f.setting("TLSVersion", "a value for TLS 1.2 (firmware 6.x documents none)"))
	} else {
		reg.set(SettingTLSMin, f.setting("TLSVersion", "a value for TLS 1.2 (firmware 6.x documents none)"))
		reg.unknown(SettingTLSMin, "TLSVersion is not set, and whether MP-1xx firmware can do TLS 1.2 at all is not documented (6.x documents 0 and 1, both TLS 1.0)")
	}
	switch f.get("VerifyServerCertificate") {
	case "1":
		reg.Verify = true
	case "0":
	case "":
		reg.unknown(SettingVerify, "VerifyServerCertificate is not set: the firmware default is not documented")
	default:
		return nil, f.at("VerifyServerCertificate", fmt.Errorf("VerifyServerCertificate %q: expected 0 or 1", f.get("VerifyServerCertificate")))
	}
	reg.set(SettingVerify, f.setting("VerifyServerCertificate", "1"))
	const want = "the https:// URL of the CA PEM published beside the configs (TLSRootFileUrl; render --provisioning-url)"
	switch u, name := f.get("TLSRootFileUrl"), f.get("HTTPSRootFileName"); {
	case u != "":
		// Automatic Update downloads the trusted root file from the URL.
		reg.set(SettingCA, f.setting("TLSRootFileUrl", want))
		reg.CASet = CACustom
		reg.TrustRoot = trustName(comments, u)
		if absoluteURL(u) {
			reg.TrustURL = u
		} else {
			reg.unknownFix(SettingCA, fmt.Sprintf("TLSRootFileUrl %q is not an absolute URL", u), FixProvisioningURL)
		}
	case name != "":
		reg.set(SettingCA, f.setting("HTTPSRootFileName", want))
		reg.CASet = CACustom
		reg.TrustRoot = trustName(comments, name)
		reg.unknownFix(SettingCA, fmt.Sprintf("HTTPSRootFileName %q names a file only: how the gateway obtains it is not documented (TLSRootFileUrl is)", name), FixProvisioningURL)
	default:
		reg.set(SettingCA, f.setting("TLSRootFileUrl", want))
		reg.CASet = CADefault
		reg.unknown(SettingCA, "neither TLSRootFileUrl nor HTTPSRootFileName is set: whether the built-in root list holds the IdenTrust roots is not documented")
	}
	if reg.Expires, err = optAtoi("RegistrationTime", f.get("RegistrationTime")); err != nil {
		return nil, f.at("RegistrationTime", err)
	}
	// Homing (ProxyRedundancyMode 1) returns to the primary as soon as it
	// answers the proxy keep-alive, which it needs (EnableProxyKeepAlive 1).
	switch {
	case f.get("ProxyRedundancyMode") == "1" && f.get("EnableProxyKeepAlive") == "1":
		reg.FailbackMode = FailbackHoming
	case f.get("ProxyRedundancyMode") == "1":
		reg.FailbackMode = "homing without EnableProxyKeepAlive"
	case f.get("ProxyRedundancyMode") == "0":
		reg.FailbackMode = "parking"
	case f.get("ProxyRedundancyMode") == "":
	default:
		return nil, f.at("ProxyRedundancyMode", fmt.Errorf("ProxyRedundancyMode %q: expected 0 (parking) or 1 (homing)", f.get("ProxyRedundancyMode")))
	}
	reg.set(SettingFailback, f.setting("ProxyRedundancyMode", "1 (homing) with EnableProxyKeepAlive 1"))
	if reg.DNS, err = acDNS.get("ProxyDNSQueryType", f.get("ProxyDNSQueryType"), "0 (A), 1 (SRV) or 2 (NAPTR)"); err != nil {
		return nil, f.at("ProxyDNSQueryType", err)
	}
	reg.set(SettingDNS, f.setting("ProxyDNSQueryType", "1 (SRV) with a proxy name without a port"))
	domain := f.get("ProxyName")
	var proxy string
	var pport int
	if t := tables["ProxyIp"]; t != nil {
		for _, idx := range t.sorted() {
			host, port, err := hostPort("ProxyIp port", t.rows[idx]["ProxyIp_IpAddress"])
			if err != nil {
				return nil, fmt.Errorf("line %d: table ProxyIp row %d: %w", tableStart["ProxyIp"], idx, err)
			}
			if port != 0 && reg.DNS != DNSA {
				// SRV only when the proxy is a name without a port.
				reg.DNS = DNSA
			}
			if proxy == "" {
				proxy, pport = host, port
			}
			reg.target(host, port, reg.DNS)
		}
	}
	auth := map[int][2]string{}
	if t := tables["Authentication"]; t != nil {
		for _, idx := range t.sorted() {
			r := t.rows[idx]
			port, err := atoi("Authentication_Port", r["Authentication_Port"])
			if err != nil {
				return nil, fmt.Errorf("line %d: table Authentication row %d: %w", tableStart["Authentication"], idx, err)
			}
			auth[port] = [2]string{r["Authentication_UserId"], r["Authentication_UserPassword"]}
		}
	}
	if t := tables["TrunkGroup"]; t != nil {
		for _, idx := range t.sorted() {
			r := t.rows[idx]
			first, err := atoi("TrunkGroup_FirstBChannel", r["TrunkGroup_FirstBChannel"])
			if err != nil {
				return nil, fmt.Errorf("line %d: table TrunkGroup row %d: %w", tableStart["TrunkGroup"], idx, err)
			}
			last, err := atoi("TrunkGroup_LastBChannel", r["TrunkGroup_LastBChannel"])
			if err != nil {
				return nil, fmt.Errorf("line %d: table TrunkGroup row %d: %w", tableStart["TrunkGroup"], idx, err)
			}
			if last != first {
				return nil, fmt.Errorf("line %d: TrunkGroup %d: ports %d-%d: expected one port per row", tableStart["TrunkGroup"], idx, first, last)
			}
			a := auth[first]
			reg.Lines = append(reg.Lines, LineRegistration{
				Port: first, User: r["TrunkGroup_FirstPhoneNumber"], Domain: domain, AuthUser: a[0], Password: a[1],
				Server: domain, Proxy: proxy, ProxyPort: pport, Transport: reg.Transport, DNS: reg.DNS,
			})
		}
	}
	sort.SliceStable(reg.Lines, func(i, j int) bool { return reg.Lines[i].Port < reg.Lines[j].Port })
	return reg, nil
}
