package render

import (
	"encoding/xml"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"unicode/utf8"
)

// funcs are the functions every template may call. vars is the device's
// inventory variables (nil while only parsing).
//
//	var "name"        the variable; an error naming it when the inventory has no such column
//	hasVar "name"     whether the variable exists
//	varOr "name" "d"  the variable, or d when absent
//	xml s             s escaped for an XML attribute or element
//	value s           s for a key = value line; an error if s holds a line break or edge spaces
//	ini s             s as a double-quoted AudioCodes ini string; an error if s holds '"' or a line break
//	gs "key" n        the Grandstream P-value name of account n's key (see gsAccountKeys)
//	gsTag "key" n v   the element <Pnnn>v</Pnnn> for account n's key, v XML-escaped
//	comment s         s made safe inside an XML comment (no "--", no line breaks)
//	fail "msg"        stops rendering with msg
//	lower, upper, add, div
func funcs(vars map[string]string) template.FuncMap {
	m := varFuncs(func() map[string]string { return vars })
	for k, f := range staticFuncs {
		m[k] = f
	}
	return m
}

var staticFuncs = template.FuncMap{
	"xml":   xmlEscape,
	"value": lineValue,
	"ini":   iniString,
	"gs":    gsParam,
	"gsTag": gsTag,
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"add":   func(a, b int) int { return a + b },
	"div": func(a, b int) (int, error) {
		if b == 0 {
			return 0, errors.New("division by zero")
		}
		return a / b, nil
	},
	"comment": xmlComment,
	"fail":    func(msg string) (string, error) { return "", errors.New(msg) },
}

// varFuncs are the functions reading a device's variables, which vars
// returns at call time.
func varFuncs(vars func() map[string]string) template.FuncMap {
	return template.FuncMap{
		"var": func(name string) (string, error) {
			v, ok := vars()[name]
			switch {
			case !ok:
				return "", fmt.Errorf("variable %q has no inventory column (columns: %s)", name, varNames(vars()))
			case v == "":
				return "", fmt.Errorf("variable %q is empty in this device's inventory row: fill the cell, or use varOr in the template", name)
			}
			return v, nil
		},
		"hasVar": func(name string) bool { return vars()[name] != "" },
		"varOr": func(name, def string) string {
			if v := vars()[name]; v != "" {
				return v
			}
			return def
		},
	}
}

func varNames(vars map[string]string) string {
	if len(vars) == 0 {
		return "none"
	}
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func xmlEscape(s string) string {
	if !strings.ContainsAny(s, "&<>\"'\t\n\r") && utf8.ValidString(s) {
		return s // the common case, without allocating
	}
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// lineValue guards key = value formats (Yealink, generic): a line break would
// let a value smuggle in another setting, and readers trim edge spaces.
func lineValue(s string) (string, error) {
	if strings.ContainsAny(s, "\r\n\x00") {
		return "", fmt.Errorf("value %s: contains a line break, which a key = value line cannot carry", quoteSafe(s))
	}
	if strings.TrimSpace(s) != s {
		return "", fmt.Errorf("value %s: starts or ends with spaces, which a key = value line loses", quoteSafe(s))
	}
	return s, nil
}

func iniString(s string) (string, error) {
	if strings.ContainsAny(s, "\"\r\n\x00") {
		return "", fmt.Errorf("value %s: contains a double quote or line break, which an AudioCodes ini string cannot carry", quoteSafe(s))
	}
	return `"` + s + `"`, nil
}

// quoteSafe names a value in an error without printing it: the value may be
// a password.
func quoteSafe(s string) string { return fmt.Sprintf("of %d characters", len([]rune(s))) }

// gsAccountKeys maps a setting to its Grandstream P-value for accounts 1 to 4
// of GRP26xx firmware. Account 1's numbers are the ones Grandstream's GRP
// configuration template documents; accounts 2 to 4 follow Grandstream's
// per-account numbering blocks (P4xx, P5xx, P6xx; P24xx, P25xx, P26xx).
var gsAccountKeys = map[string][4]int{
	"active":      {271, 401, 501, 601},     // Account Active
	"name":        {270, 417, 517, 617},     // Account Name
	"server":      {47, 402, 502, 602},      // SIP Server (the AOR domain)
	"proxy":       {48, 403, 503, 603},      // Outbound Proxy
	"user":        {35, 404, 504, 604},      // SIP User ID
	"authid":      {36, 405, 505, 605},      // Authenticate ID
	"password":    {34, 406, 506, 606},      // Authenticate Password
	"display":     {3, 407, 507, 607},       // Name (display name)
	"dnsmode":     {103, 408, 508, 608},     // DNS Mode: 0 A, 1 SRV, 2 NAPTR/SRV, 3 configured IP
	"transport":   {130, 448, 548, 648},     // SIP Transport: 0 UDP, 1 TCP, 2 TLS/TCP
	"register":    {31, 410, 510, 610},      // SIP Registration
	"expires":     {32, 412, 512, 612},      // Register Expiration, minutes
	"scheme":      {2329, 2429, 2529, 2629}, // SIP URI scheme when using TLS: 0 sip, 1 sips
	"checkcert":   {2311, 2411, 2511, 2611}, // Check Domain Certificates (RFC 5922)
	"chain":       {2367, 2467, 2567, 2667}, // Validate Certification Chain
	"srvfailover": {26040, 26140, 26240, 26340},
}

// gsMaxAccounts is how many accounts gsAccountKeys covers.
const gsMaxAccounts = 4

func gsParam(key string, account int) (string, error) {
	nums, ok := gsAccountKeys[key]
	if !ok {
		return "", fmt.Errorf("grandstream setting %q: unknown (known: %s)", key, gsKeyNames())
	}
	if account < 1 || account > gsMaxAccounts {
		return "", fmt.Errorf("grandstream account %d: the template maps accounts 1 to %d", account, gsMaxAccounts)
	}
	return "P" + strconv.Itoa(nums[account-1]), nil
}

func gsTag(key string, account int, v any) (string, error) {
	p, err := gsParam(key, account)
	if err != nil {
		return "", err
	}
	val := ""
	switch x := v.(type) {
	case string:
		val = xmlEscape(x)
	case int:
		val = strconv.Itoa(x)
	default:
		val = xmlEscape(fmt.Sprint(x))
	}
	return "<" + p + ">" + val + "</" + p + ">", nil
}

func gsKeyNames() string {
	names := make([]string, 0, len(gsAccountKeys))
	for k := range gsAccountKeys {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// Var returns an inventory variable, or an error naming it when absent; it
// is the method form of the var function ({{.Var "timezone"}}).
func (d *Data) Var(name string) (string, error) {
	return funcs(d.Vars)["var"].(func(string) (string, error))(name)
}

// lineBreaks is built once: building a Replacer costs more than using it.
var lineBreaks = strings.NewReplacer("\r", " ", "\n", " ")

func xmlComment(s string) string {
	s = lineBreaks.Replace(s)
	for strings.Contains(s, "--") {
		s = strings.ReplaceAll(s, "--", "- -")
	}
	return strings.TrimSuffix(s, "-")
}
