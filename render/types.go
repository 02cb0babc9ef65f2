// Package render merges a device's Webex device information and its inventory
// row into the partner's per-vendor templates, producing the complete config a
// device fetches, and reads such configs back into registration parameters.
// It knows nothing of HTTP or SIP.
package render

import (
	"crypto/x509"
	"net/url"
)

// DeviceInfo is the partial configuration Webex holds for one partner-managed
// device, built from the documented calls T1, T3 and L3 (WEBEX-API.md). It never
// holds the SIP password. migrate saves it as DIR/info/<MAC>.json.
type DeviceInfo struct {
	MAC      string `json:"mac"`   // 12 upper-case hex digits
	Model    string `json:"model"` // the Webex model
	DeviceID string `json:"deviceId"`
	// SIPUserName is the digest authentication user of the device (T1 owner.sipUserName).
	SIPUserName string `json:"sipUserName"`
	// OutboundProxy is an SRV domain: devices look up _sips._tcp.<OutboundProxy>.
	OutboundProxy string `json:"outboundProxy"`
	// Domain is the owner location's defaultDomain.
	Domain string     `json:"domain"`
	Lines  []LineInfo `json:"lines"` // in port order
}

// LineInfo is one line appearance or gateway port of a device.
type LineInfo struct {
	Port         int    `json:"port"`
	LinePort     string `json:"linePort"` // the AOR, user@domain
	DisplayName  string `json:"displayName,omitempty"`
	Extension    string `json:"extension,omitempty"`
	PhoneNumber  string `json:"phoneNumber,omitempty"`
	Label        string `json:"label,omitempty"`
	PrimaryOwner bool   `json:"primaryOwner"`
	Shared       bool   `json:"shared"`
}

// Device is everything a template sees for one device.
type Device struct {
	Info     DeviceInfo
	Make     string // inventory make, e.g. "Yealink"
	Model    string // inventory model, e.g. "T57W"
	Vendor   string // template family: yealink, poly, grandstream, audiocodes, generic
	Template string // optional per-device template override
	Password string // the device's SIP password
	// Vars are the inventory's extra columns (normalised header -> value).
	Vars map[string]string
}

// File is one rendered config file.
type File struct {
	Name string // the vendor's file name, e.g. "001565a1b2c3.cfg"
	Data []byte
}

// Registration is what a device does with its config, as a reader recovers it
// following the vendor's documented firmware semantics: everything that
// decides whether and how it registers. The device-wide fields describe the
// first registering line (the one certification registers); Lines has each
// line's own transport, server and proxy.
type Registration struct {
	Vendor    string `json:"vendor"`
	UserAgent string `json:"userAgent"` // make and model
	// SRVDomain is set when the config resolves the proxy by DNS SRV (or
	// NAPTR then SRV: see DNS); Proxies lists explicit host:port targets
	// otherwise (in failover order).
	SRVDomain string   `json:"srvDomain,omitempty"`
	Proxies   []string `json:"proxies,omitempty"`
	Port      int      `json:"port,omitempty"`
	// Transport is "tls", "tcp", "udp" or "dns-naptr" (the transport the
	// DNS NAPTR/SRV records choose).
	Transport string `json:"transport"`
	// DNS is how the proxy name is resolved: DNSSRV, DNSNAPTR, DNSA, or
	// DNSUnknown when the vendor documents no lookup for the combination.
	DNS string `json:"dns"`
	// TLSMin and TLSMax bound the TLS versions the device offers ("1.0" to
	// "1.3"); empty when the config leaves them to an undocumented default.
	TLSMin string `json:"tlsMin"`
	TLSMax string `json:"tlsMax,omitempty"`
	// Verify is whether the device verifies the server certificate; CASet
	// which roots it verifies against: CACustom (the roots the config
	// installs), CAAll (those and the firmware's built-in list), CADefault
	// (the built-in list only), or "" when unknown.
	Verify bool   `json:"verify"`
	CASet  string `json:"caSet,omitempty"`
	// TrustRoot names the CA the config installs (its common name, e.g.
	// "IdenTrust Commercial Root CA 1"); empty when it installs none.
	TrustRoot string `json:"trustRoot,omitempty"`
	// TrustURL is the absolute URL the device downloads its CA from, for
	// formats that name one rather than embed the certificate (certify
	// checks it points at the CA published beside the configs); empty
	// otherwise.
	TrustURL string `json:"trustUrl,omitempty"`
	// TrustCerts are the CA certificates the config installs, where the
	// file carries them (Poly, Grandstream); certify adds those a config
	// downloads by URL from the published files. The device simulator
	// verifies against them as CASet says.
	TrustCerts []*x509.Certificate `json:"-"`
	Expires    int                 `json:"expires"`  // seconds
	Failover   string              `json:"failover"` // "srv", "ordered" or "none"
	// FailbackMode is how the device returns to its primary (FailbackDuration,
	// FailbackHoming, or the vendor's own word); "" when the config sets none.
	FailbackMode    string `json:"failbackMode,omitempty"`
	FailbackSeconds int    `json:"failbackSeconds,omitempty"`

	Lines []LineRegistration `json:"lines"`

	// Settings says which parameter of the file decided each judged
	// property (SettingTransport, SettingTLSMin, ...), so that a verdict can
	// name it and the documented value that fixes it.
	Settings map[string]Setting `json:"settings,omitempty"`
	// Unknowns lists what the config relies on that no source documents
	// (VENDOR-FACTS.md "unknown"); certification never counts them as a pass.
	Unknowns []Unknown `json:"unknowns,omitempty"`
}

// Setting is the parameter that decided one property of a registration.
type Setting struct {
	Param string `json:"param"`          // as the vendor writes it, e.g. "static.security.default_ssl_method"
	Value string `json:"value"`          // as written ("" when absent)
	Line  int    `json:"line,omitempty"` // in the file, when present
	Want  string `json:"want"`           // the documented value Webex needs
}

// Unknown is one property the config leaves undocumented.
type Unknown struct {
	Property string `json:"property"` // a Setting key
	Detail   string `json:"detail"`
	// Fix is what makes the property certifiable, when cutover knows it
	// (e.g. render with --provisioning-url); empty otherwise.
	Fix string `json:"fix,omitempty"`
}

// Registration property names (Settings and Unknowns keys).
const (
	SettingTransport = "transport"
	SettingTLSMin    = "tls-min"
	SettingTLSMax    = "tls-max" // only where the format sets the maximum apart
	SettingVerify    = "verify"
	SettingCA        = "ca"
	SettingDNS       = "dns"
	SettingFailback  = "failback"
)

// DNS modes, CA sets and failback modes.
const (
	DNSSRV     = "srv"
	DNSNAPTR   = "naptr"
	DNSA       = "a"
	DNSUnknown = ""

	CACustom  = "custom"
	CAAll     = "all"
	CADefault = "default"

	FailbackDuration = "duration" // back to the primary after a timer
	FailbackHoming   = "homing"   // back as soon as the primary answers keepalives
)

// set records the parameter behind property k.
func (r *Registration) set(k string, s Setting) {
	if r.Settings == nil {
		r.Settings = map[string]Setting{}
	}
	if _, ok := r.Settings[k]; !ok {
		r.Settings[k] = s
	}
}

// unknown records an undocumented property once.
func (r *Registration) unknown(k, detail string) { r.unknownFix(k, detail, "") }

// unknownFix is unknown with the fix that makes the property certifiable.
func (r *Registration) unknownFix(k, detail, fix string) {
	for _, u := range r.Unknowns {
		if u.Property == k {
			return
		}
	}
	r.Unknowns = append(r.Unknowns, Unknown{Property: k, Detail: detail, Fix: fix})
}

// FixProvisioningURL is the fix for a CA a config names by a bare file name.
const FixProvisioningURL = "render with --provisioning-url https://<where the devices fetch their configs>/ so the config names the CA by its absolute URL, then publish again"

// absoluteURL reports whether s is an absolute http(s) URL with a host,
// the form the vendors document for a certificate download.
func absoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// UnknownFor returns what is undocumented about property k, if anything.
func (r *Registration) UnknownFor(k string) (Unknown, bool) {
	for _, u := range r.Unknowns {
		if u.Property == k {
			return u, true
		}
	}
	return Unknown{}, false
}

// LineRegistration is one registering line of a device.
type LineRegistration struct {
	Port        int    `json:"port"`
	User        string `json:"user"`     // user part of the AOR
	Domain      string `json:"domain"`   // host part of the AOR
	AuthUser    string `json:"authUser"` // digest user name
	Password    string `json:"-"`
	DisplayName string `json:"displayName,omitempty"`
	// The line's own registration path: its server and outbound proxy
	// (port 0: resolved through DNS), transport and DNS mode.
	Server     string `json:"server,omitempty"`
	ServerPort int    `json:"serverPort,omitempty"`
	Proxy      string `json:"proxy,omitempty"`
	ProxyPort  int    `json:"proxyPort,omitempty"`
	Transport  string `json:"transport,omitempty"`
	DNS        string `json:"dns,omitempty"`
	// Settings locates the line's own transport and DNS parameters
	// (SettingTransport, SettingDNS) where the format has them per line.
	Settings map[string]Setting `json:"settings,omitempty"`
}
