package render

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// grandstreamProfile: Grandstream GXP17xx / GRP26xx, cfg<mac>.xml with
// P-values (templates/grandstream.tmpl). Facts: ../shared/VENDOR-FACTS.md,
// Grandstream.
var grandstreamProfile = &Profile{
	Vendor: VendorGrandstream, Name: "Grandstream", Templates: []string{"grandstream.tmpl"},
	files: func(mac string) []string { return []string{"cfg" + strings.ToLower(mac) + ".xml"} },
	match: func(lower string) (string, bool) { return macFrom(lower, "cfg", ".xml") },
	sniff: func(trimmed, all []byte) bool {
		return bytes.HasPrefix(trimmed, []byte("<")) && bytes.Contains(all, []byte("<gs_provision"))
	},
	read: func(data []byte) (*Registration, []string, error) {
		reg, err := readGrandstream(data)
		return reg, nil, err
	},
	Models: []ModelCaps{
		{Prefix: "GXP17", Lines: 4, TLS12: Yes, Source: "GXP17xx: 4 accounts (datasheets); P22293 12 = TLS 1.2 (fspbx GXP17xx template)"},
		// Accounts 2 to 4 use the GXP17xx numbering; for GRP26xx that
		// numbering is unknown (VENDOR-FACTS.md), so the template says so.
		{Prefix: "GRP26", Lines: 4, TLS12: Yes, Source: "GRP26xx: the template maps 4 accounts with the GXP17xx numbering; P22293 12 = TLS 1.2 (fusionpbx grp2612)"},
	},
	Default: ModelCaps{Lines: gsMaxAccounts, TLS12: Yes, Source: "the template maps accounts 1 to 4; P22293 12 = TLS 1.2"},
	value:   func(s string) (string, error) { return s, nil }, // XML carries any string
}

// Grandstream global P-values (VENDOR-FACTS.md).
const (
	gsTLSMin   = "P22293" // minimum TLS version: 10, 11, 12
	gsTLSMax   = "P22294" // maximum TLS version
	gsVerify   = "P8463"  // validate server certificate
	gsCASet    = "P8502"  // which CA set: 0 default, 1 custom, 2 all
	gsCustomCA = "P8433"  // custom trusted CA certificate 1 (P8433 to P8438)
)

var (
	gsTLSVersion = enum{"10": "1.0", "11": "1.1", "12": "1.2"}
	gsTransport  = enum{"": "udp", "0": "udp", "1": "tcp", "2": "tls"}
	gsDNS        = enum{"": DNSA, "0": DNSA, "1": DNSSRV, "2": DNSNAPTR}
	gsCASets     = enum{"": CADefault, "0": CADefault, "1": CACustom, "2": CAAll}
)

func readGrandstream(data []byte) (*Registration, error) {
	d, err := parseXML(data)
	if err != nil {
		return nil, err
	}
	if d.root != "gs_provision" {
		return nil, fmt.Errorf("root element <%s>: expected <gs_provision>", d.root)
	}
	e := d.elems
	reg := &Registration{UserAgent: d.comments["cutover-user-agent"]}
	if v, ok := e[gsTLSMin]; ok {
		min, err := gsTLSVersion.get(gsTLSMin+" (minimum TLS version)", v, "10, 11 or 12")
		if err != nil {
			return nil, d.at(gsTLSMin, err)
		}
		max := "1.2"
		if v, ok := e[gsTLSMax]; ok {
			if max, err = gsTLSVersion.get(gsTLSMax+" (maximum TLS version)", v, "10, 11 or 12"); err != nil {
				return nil, d.at(gsTLSMax, err)
			}
			reg.set(SettingTLSMax, d.elemSetting(gsTLSMax, "12"))
		}
		reg.tlsRange(min, max, d.elemSetting(gsTLSMin, "12"))
	} else {
		reg.set(SettingTLSMin, d.elemSetting(gsTLSMin, "12"))
		reg.unknown(SettingTLSMin, gsTLSMin+" is not set: the firmware default is not documented")
	}
	switch e[gsVerify] {
	case "1":
		reg.Verify = true
	case "0":
	case "":
		reg.unknown(SettingVerify, gsVerify+" (validate server certificate) is not set: the firmware default is not documented")
	default:
		return nil, d.at(gsVerify, fmt.Errorf("%s %q: expected 0 or 1", gsVerify, e[gsVerify]))
	}
	reg.set(SettingVerify, d.elemSetting(gsVerify, "1"))
	if reg.CASet, err = gsCASets.get(gsCASet+" (CA set)", e[gsCASet], "0, 1 or 2"); err != nil {
		return nil, d.at(gsCASet, err)
	}
	reg.set(SettingCA, d.elemSetting(gsCASet, "1 with the IdenTrust Commercial Root CA 1 PEM in "+gsCustomCA))
	if pemText := e[gsCustomCA]; pemText != "" {
		if b, _ := pem.Decode([]byte(pemText)); b != nil {
			if c, err := x509.ParseCertificate(b.Bytes); err == nil {
				reg.TrustRoot = c.Subject.CommonName
				reg.TrustCerts = []*x509.Certificate{c}
			}
		}
		if reg.TrustRoot == "" {
			return nil, d.at(gsCustomCA, errors.New(gsCustomCA+": not a PEM certificate"))
		}
	}
	switch {
	case reg.CASet == CADefault:
		reg.TrustRoot, reg.TrustCerts = "", nil
		reg.unknown(SettingCA, gsCASet+" = 0 (default CA list): whether it holds the IdenTrust roots is not documented")
	case reg.TrustRoot == "" && reg.CASet == CACustom:
		reg.unknown(SettingCA, gsCASet+" = 1 (custom CAs) without a certificate in "+gsCustomCA)
	}
	for acct := 1; acct <= gsMaxAccounts; acct++ {
		p := func(key string) string {
			name, _ := gsParam(key, acct)
			return e[name]
		}
		pk := func(key string) string { name, _ := gsParam(key, acct); return name }
		if p("active") != "1" {
			continue
		}
		l, err := readGrandstreamAccount(d, reg, acct, p, pk)
		if err != nil {
			return nil, err
		}
		reg.Lines = append(reg.Lines, l)
	}
	return reg, nil
}

func readGrandstreamAccount(d *xmlDoc, reg *Registration, acct int, p, pk func(string) string) (LineRegistration, error) {
	transport, err := gsTransport.get(fmt.Sprintf("%s (account %d SIP transport)", pk("transport"), acct), p("transport"), "0, 1 or 2")
	if err != nil {
		return LineRegistration{}, d.at(pk("transport"), err)
	}
	dns, err := gsDNS.get(fmt.Sprintf("%s (account %d DNS mode)", pk("dnsmode"), acct), p("dnsmode"), "0, 1 or 2")
	if err != nil {
		return LineRegistration{}, d.at(pk("dnsmode"), err)
	}
	server := p("server")
	l := LineRegistration{
		Port: acct, User: p("user"), Domain: server, AuthUser: p("authid"),
		Password: p("password"), DisplayName: p("display"), Server: server, Transport: transport, DNS: dns,
	}
	addr := p("proxy")
	if addr == "" {
		addr = server
	}
	host, port, err := hostPort(fmt.Sprintf("%s (account %d outbound proxy) port", pk("proxy"), acct), addr)
	if err != nil {
		return LineRegistration{}, d.at(pk("proxy"), err)
	}
	if p("proxy") != "" {
		l.Proxy, l.ProxyPort = host, port
	} else {
		l.ServerPort = port
	}
	if port != 0 && dns != DNSA {
		// SRV needs a name without a port; with one the phone resolves A.
		dns, l.DNS = DNSA, DNSA
	}
	l.Settings = map[string]Setting{
		SettingTransport: d.elemSetting(pk("transport"), "2"),
		SettingDNS:       d.elemSetting(pk("dnsmode"), "1 (SRV) with an outbound proxy name without a port"),
	}
	if len(reg.Lines) == 0 {
		reg.Transport, reg.DNS = transport, dns
		reg.set(SettingTransport, l.Settings[SettingTransport])
		reg.set(SettingDNS, l.Settings[SettingDNS])
		// 2 is TLS: "TLS/TCP" in the guides' wording names that one option
		// (TLS over TCP), not a fallback to TCP (see the template).
		m, err := optAtoi(fmt.Sprintf("%s (account %d register expiration)", pk("expires"), acct), p("expires"))
		if err != nil {
			return LineRegistration{}, d.at(pk("expires"), err)
		}
		reg.Expires = m * 60 // the phone counts minutes
	}
	reg.target(host, port, dns)
	return l, nil
}
