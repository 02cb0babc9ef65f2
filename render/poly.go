package render

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// polyProfile: Poly VVX / Edge E (UC Software), the <mac>.cfg master config
// and the <mac>-phone.cfg it lists (templates/poly.tmpl).
// Facts: ../shared/VENDOR-FACTS.md, Poly.
var polyProfile = &Profile{
	Vendor: VendorPoly, Name: "Poly", Templates: []string{"poly.tmpl"}, master: "poly.master",
	// Poly phones request their master config with the MAC in lower case,
	// which matters on case-sensitive provisioning servers.
	files: func(mac string) []string {
		lower := strings.ToLower(mac)
		return []string{lower + ".cfg", lower + "-phone.cfg"}
	},
	match: func(lower string) (string, bool) {
		if m, ok := macFrom(lower, "", "-phone.cfg"); ok {
			return m, true
		}
		return macFrom(lower, "", ".cfg")
	},
	sniff: func(trimmed, all []byte) bool {
		return bytes.HasPrefix(trimmed, []byte("<")) && (bytes.Contains(all, []byte("<polycomConfig")) || bytes.Contains(all, []byte("<APPLICATION")))
	},
	read:    readPoly,
	Default: ModelCaps{TLS12: Yes, Source: "sec.TLS.protocol.sip TLSv1_2 (Poly parameter reference)"},
	value:   func(s string) (string, error) { return s, nil }, // XML carries any string
}

// Poly documented values (VENDOR-FACTS.md).
var (
	polyTransport = enum{"": "dns-naptr", "DNSnaptr": "dns-naptr", "TLS": "tls", "TCPOnly": "tcp", "TCPpreferred": "tcp", "UDPOnly": "udp"}
	// sec.TLS.protocol.sip: SSLv2v3 negotiates down to TLS 1.0.
	polyTLS      = map[string][2]string{"SSLv2v3": {"1.0", "1.2"}, "TLSv1_0": {"1.0", "1.0"}, "TLSv1_1": {"1.1", "1.1"}, "TLSv1_2": {"1.2", "1.2"}}
	polyFailback = map[string]string{"duration": FailbackDuration, "newRequests": "newRequests", "DNSTTL": "DNSTTL", "registration": "registration"}
)

// readPoly returns the registration of a per-phone file, or (nil, refs,
// ErrMasterConfig) for a master config.
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
	// The SIP application reads sec.TLS.protocol.sip; device.sec.TLS.protocol.sip
	// does not exist for SIP and is ignored like any unknown name.
	const proto = "sec.TLS.protocol.sip"
	if v, ok := a[proto]; ok {
		tr, ok := polyTLS[v]
		if !ok {
			return nil, nil, d.at(proto, fmt.Errorf("%s %q: expected SSLv2v3 or TLSv1_0 to TLSv1_2", proto, v))
		}
		reg.tlsRange(tr[0], tr[1], d.attrSetting(proto, "TLSv1_2"))
	} else {
		reg.set(SettingTLSMin, d.attrSetting(proto, "TLSv1_2"))
		reg.unknown(SettingTLSMin, proto+" is not set: the firmware default is not documented")
	}
	// The sources name no on/off switch for verifying the SIP server's
	// certificate other than its name check: that is what Verify reads.
	const strict = "sec.TLS.SIP.strictCertCommonNameValidation"
	switch a[strict] {
	case "1":
		reg.Verify = true
	case "0":
	case "":
		reg.unknown(SettingVerify, strict+" is not set: the firmware default is not documented")
	default:
		return nil, nil, d.at(strict, fmt.Errorf("%s %q: expected 0 or 1", strict, a[strict]))
	}
	reg.set(SettingVerify, d.attrSetting(strict, "1"))
	if err := readPolyTrust(d, reg); err != nil {
		return nil, nil, err
	}
	for i := 1; ; i++ {
		r := "reg." + strconv.Itoa(i) + "."
		if a[r+"address"] == "" {
			break
		}
		l, err := readPolyLine(d, reg, r, i)
		if err != nil {
			return nil, nil, err
		}
		reg.Lines = append(reg.Lines, l)
	}
	return reg, nil, nil
}

func readPolyLine(d *xmlDoc, reg *Registration, r string, i int) (LineRegistration, error) {
	a := d.attrs
	server := a[r+"server.1.address"]
	user, domain := splitAOR(a[r+"address"], server)
	sport, err := optAtoi(r+"server.1.port", a[r+"server.1.port"])
	if err != nil {
		return LineRegistration{}, d.at(r+"server.1.port", err)
	}
	l := LineRegistration{
		Port: i, User: user, Domain: domain, AuthUser: a[r+"auth.userId"],
		Password: a[r+"auth.password"], DisplayName: a[r+"displayName"],
		Server: server, ServerPort: sport,
	}
	// The line registers through its own outbound proxy, else the phone's,
	// else straight to its server.
	prefix := r + "outboundProxy."
	if a[prefix+"address"] == "" {
		prefix = "voIpProt.SIP.outboundProxy."
	}
	if a[prefix+"address"] == "" {
		prefix = r + "server.1."
	}
	host := a[prefix+"address"]
	port, err := optAtoi(prefix+"port", a[prefix+"port"])
	if err != nil {
		return LineRegistration{}, d.at(prefix+"port", err)
	}
	if prefix != r+"server.1." {
		l.Proxy, l.ProxyPort = host, port
	}
	tk := prefix + "transport"
	if l.Transport, err = polyTransport.get(tk, a[tk], "DNSnaptr, TLS, TCPOnly, TCPpreferred or UDPOnly"); err != nil {
		return LineRegistration{}, d.at(tk, err)
	}
	// NAPTR then SRV is documented for DNSnaptr with port 0 or empty; with
	// an explicit transport and port 0 the port is the transport's default
	// and an SRV lookup is not documented.
	switch {
	case port != 0:
		l.DNS = DNSA
	case l.Transport == "dns-naptr":
		l.DNS = DNSNAPTR
	default:
		l.DNS = DNSUnknown
	}
	dns := d.attrSetting(tk, "DNSnaptr with port 0")
	if port != 0 {
		dns = d.attrSetting(prefix+"port", "0 with transport DNSnaptr")
	}
	l.Settings = map[string]Setting{SettingTransport: d.attrSetting(tk, "DNSnaptr (with port 0: NAPTR then SRV) or TLS"), SettingDNS: dns}
	if len(reg.Lines) == 0 {
		reg.Transport, reg.DNS = l.Transport, l.DNS
		reg.set(SettingTransport, l.Settings[SettingTransport])
		reg.set(SettingDNS, dns)
		if l.DNS == DNSUnknown {
			reg.unknown(SettingDNS, fmt.Sprintf("%s = %s with port 0: the port is the transport's default; an SRV lookup is not documented", tk, a[tk]))
		}
		ek := r + "server.1.expires"
		if reg.Expires, err = optAtoi(ek, a[ek]); err != nil {
			return LineRegistration{}, d.at(ek, err)
		}
		fm, ft := r+"server.1.failOver.failBack.mode", r+"server.1.failOver.failBack.timeout"
		if v := a[fm]; v != "" {
			mode, ok := polyFailback[v]
			if !ok {
				return LineRegistration{}, d.at(fm, fmt.Errorf("%s %q: expected newRequests, DNSTTL, registration or duration", fm, v))
			}
			reg.FailbackMode = mode
		}
		if reg.FailbackSeconds, err = optAtoi(ft, a[ft]); err != nil {
			return LineRegistration{}, d.at(ft, err)
		}
		s := d.attrSetting(fm, "duration, with a timeout from 60 to 65535")
		if reg.FailbackMode == FailbackDuration {
			s = d.attrSetting(ft, "a value from 60 to 65535")
		}
		reg.set(SettingFailback, s)
	}
	reg.target(host, port, l.DNS)
	return l, nil
}

// Poly SIP TLS trust (VENDOR-FACTS.md, Poly): the SIP application verifies
// against the CA list of the TLS profile sec.TLS.profileSelection.SIP names
// (Polycom CX5500 admin guide, "Set TLS Profiles"); a platform profile's list
// names the platform CA slots it trusts (InterLinked1/teleprovisioner
// vendors/polycom.php: caCertListN = PlatformN with the CA in customCaCertN).
const (
	polySIPProfile = "sec.TLS.profileSelection.SIP"
	polyAppCA      = "sec.TLS.customCaCert.1"
	polyListWant   = "PlatformProfile2, whose list device.sec.TLS.profile.caCertList2 = Platform2 trusts the root in device.sec.TLS.customCaCert2"
	polyTrustFix   = "render with cutover's Poly template (or do as it does): the root in device.sec.TLS.customCaCert2, device.sec.TLS.profile.caCertList2 = Platform2, sec.TLS.profileSelection.SIP = PlatformProfile2, with device.set and each .set = 1"
)

// polyApplied reports whether a device.* parameter takes effect: the
// firmware applies a device.* value only with device.set = 1 and the
// parameter's own .set = 1.
func polyApplied(a map[string]string, k string) bool {
	return a["device.set"] == "1" && a[k+".set"] == "1"
}

// readPolyTrust sets which CAs the SIP application verifies the server
// against. What no source documents (the built-in list, an application
// profile's list, a profile whose list is not set) is an Unknown; a value
// the sources do not give is a read error.
func readPolyTrust(d *xmlDoc, reg *Registration) error {
	a := d.attrs
	sel := a[polySIPProfile]
	var n string
	switch {
	case sel == "":
		return readPolyAppCA(d, reg, polySIPProfile+" is not set: which TLS profile (and so which CA list) SIP uses by default is not documented")
	case sel == "PlatformProfile1" || sel == "PlatformProfile2":
		n = strings.TrimPrefix(sel, "PlatformProfile")
	case strings.HasPrefix(sel, "ApplicationProfile") && len(sel) == len("ApplicationProfile1") && sel[len(sel)-1] >= '1' && sel[len(sel)-1] <= '6':
		reg.set(SettingCA, d.attrSetting(polySIPProfile, polyListWant))
		return readPolyAppCA(d, reg, polySIPProfile+" = "+sel+": which CAs an application profile trusts is not documented")
	default:
		return d.at(polySIPProfile, fmt.Errorf("%s %q: expected PlatformProfile1, PlatformProfile2 or ApplicationProfile1 to ApplicationProfile6", polySIPProfile, sel))
	}
	list := "device.sec.TLS.profile.caCertList" + n
	if !polyApplied(a, list) {
		reg.set(SettingCA, d.attrSetting(polySIPProfile, polyListWant))
		reg.CASet = CADefault
		reg.unknownFix(SettingCA, fmt.Sprintf("%s = %s but %s is not applied (device.set and %s.set = 1): the profile's default list, Poly's \"widely recognized CA certificates\", is not documented to hold the IdenTrust roots", polySIPProfile, sel, list, list), polyTrustFix)
		return nil
	}
	var slot string
	switch v := a[list]; v {
	case "Platform1", "Platform2":
		slot = strings.TrimPrefix(v, "Platform")
	default:
		return d.at(list, fmt.Errorf("%s %q: expected Platform1 or Platform2 (the platform CA slot the profile trusts)", list, v))
	}
	reg.CASet = CACustom
	ca := "device.sec.TLS.customCaCert" + slot
	if !polyApplied(a, ca) || a[ca] == "" {
		// The list trusts only an empty slot: no CA verifies the SBC.
		if a[ca] != "" {
			reg.set(SettingCA, d.attrSetting(ca+".set", "1 (so that the firmware installs "+ca+")"))
		}
		reg.set(SettingCA, d.attrSetting(list, "the slot holding the IdenTrust Commercial Root CA 1 (Platform2 with cutover's template)"))
		return nil
	}
	c, err := polyCert(a[ca])
	if err != nil {
		return d.at(ca, fmt.Errorf("%s: %w", ca, err))
	}
	reg.TrustRoot, reg.TrustCerts = c.Subject.CommonName, []*x509.Certificate{c}
	reg.set(SettingCA, d.attrSetting(ca, "the IdenTrust Commercial Root CA 1 PEM"))
	return nil
}

// readPolyAppCA reads the application CA slot 1 where the SIP profile's
// list is undocumented: a wrong CA there still fails, and none is unknown.
func readPolyAppCA(d *xmlDoc, reg *Registration, why string) error {
	reg.set(SettingCA, d.attrSetting(polySIPProfile, polyListWant))
	reg.CASet = CADefault
	if pemText := d.attrs[polyAppCA]; pemText != "" {
		c, err := polyCert(pemText)
		if err != nil {
			return d.at(polyAppCA, fmt.Errorf("%s: %w", polyAppCA, err))
		}
		reg.TrustRoot, reg.TrustCerts = c.Subject.CommonName, []*x509.Certificate{c}
		reg.CASet = CAAll
	}
	reg.unknownFix(SettingCA, why, polyTrustFix)
	return nil
}

// polyCert parses the one PEM certificate a CA parameter holds.
func polyCert(pemText string) (*x509.Certificate, error) {
	if b, _ := pem.Decode([]byte(pemText)); b != nil {
		if c, err := x509.ParseCertificate(b.Bytes); err == nil {
			return c, nil
		}
	}
	return nil, errors.New("not a PEM certificate")
}
