// Package render merges a device's Webex device information and its inventory
// row into the partner's per-vendor templates, producing the complete config a
// device fetches, and reads such configs back into registration parameters.
// It knows nothing of HTTP or SIP.
package render

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

// Registration is what a device does with its config, as a reader recovers it:
// the parameters a SIP device needs to register.
type Registration struct {
	Vendor    string `json:"vendor"`
	UserAgent string `json:"userAgent"` // make and model
	// SRVDomain is set when the config resolves _sips._tcp.<SRVDomain>;
	// Proxies lists explicit host:port targets otherwise (in failover order).
	SRVDomain string             `json:"srvDomain,omitempty"`
	Proxies   []string           `json:"proxies,omitempty"`
	Port      int                `json:"port,omitempty"`
	Transport string             `json:"transport"` // "tls"
	TLSMin    string             `json:"tlsMin"`    // "1.2"
	Expires   int                `json:"expires"`   // seconds
	Failover  string             `json:"failover"`  // e.g. "srv"
	Lines     []LineRegistration `json:"lines"`

	// TrustRoot names the CA the device verifies the SBC against (its common
	// name, e.g. "IdenTrust Commercial Root CA 1"); empty when the config
	// leaves certificate verification off.
	TrustRoot string `json:"trustRoot,omitempty"`
}

// LineRegistration is one registering line of a device.
type LineRegistration struct {
	Port        int    `json:"port"`
	User        string `json:"user"`     // user part of the AOR
	Domain      string `json:"domain"`   // host part of the AOR
	AuthUser    string `json:"authUser"` // digest user name
	Password    string `json:"-"`
	DisplayName string `json:"displayName,omitempty"`
}
