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

// genericProfile: the documented vendor-neutral profile, <mac>.sip.conf
// (templates/generic.tmpl), for devices without a vendor template. Its
// semantics are cutover's own: srv_domain means an SRV lookup of
// _sips._tcp.<srv_domain>, verify and trust_root say what is checked.
var genericProfile = &Profile{
	Vendor: VendorGeneric, Name: "generic", Templates: []string{"generic.tmpl"},
	files: func(mac string) []string { return []string{strings.ToLower(mac) + ".sip.conf"} },
	match: func(lower string) (string, bool) { return macFrom(lower, "", ".sip.conf") },
	sniff: func(trimmed, _ []byte) bool { return bytes.HasPrefix(trimmed, []byte("# cutover generic SIP profile")) },
	read: func(data []byte) (*Registration, []string, error) {
		reg, err := readGeneric(data)
		return reg, nil, err
	},
	Default: ModelCaps{TLS12: Yes, Source: "cutover's generic profile (tls_min)"},
	value:   lineValue,
}

func readGeneric(data []byte) (*Registration, error) {
	reg := &Registration{}
	values, at := map[string]string{}, map[string]int{}
	section := ""
	lines := map[int]*LineRegistration{}
	err := eachLine(data, func(n int, line string) error {
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
			values[k], at[k] = v, n
			switch k {
			case "srv_domain":
				reg.SRVDomain = v
				reg.DNS = DNSSRV
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
			case "tls_max":
				reg.TLSMax = v
			case "verify":
				reg.Verify, err = strconv.ParseBool(v)
				if err != nil {
					err = fmt.Errorf("verify %q: expected true or false", v)
				}
			case "trust_root":
				reg.TrustRoot = v
			case "expires":
				reg.Expires, err = atoi("expires", v)
			case "failback_seconds":
				reg.FailbackSeconds, err = atoi("failback_seconds", v)
				reg.FailbackMode = FailbackDuration
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
	switch {
	case reg.SRVDomain == "" && len(reg.Proxies) > 0:
		reg.DNS = DNSA
	case reg.SRVDomain == "":
		reg.DNS = DNSUnknown
	}
	if reg.TrustRoot != "" {
		reg.CASet = CACustom
	}
	for _, k := range []string{"transport", "tls_min", "verify", "trust_root", "srv_domain", "failback_seconds"} {
		want := map[string]string{"transport": "tls", "tls_min": "1.2", "verify": "true", "trust_root": "IdenTrust Commercial Root CA 1",
			"srv_domain": "the outbound proxy's SRV domain", "failback_seconds": "a value from 60 to 65535"}[k]
		prop := map[string]string{"transport": SettingTransport, "tls_min": SettingTLSMin, "verify": SettingVerify, "trust_root": SettingCA,
			"srv_domain": SettingDNS, "failback_seconds": SettingFailback}[k]
		reg.set(prop, Setting{Param: "[sip] " + k, Value: values[k], Line: at[k], Want: want})
	}
	for _, i := range slices.Sorted(maps.Keys(lines)) {
		l := *lines[i]
		l.Transport, l.DNS = reg.Transport, reg.DNS
		reg.Lines = append(reg.Lines, l)
	}
	return reg, nil
}
