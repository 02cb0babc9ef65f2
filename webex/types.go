package webex

import "time"

// Wire types of the Webex REST API, shared by the client and the emulator
// (simulator/webexapi). Field names and JSON tags follow ../shared/WEBEX-API.md.

// ErrorBody is the JSON body of every Webex error response.
type ErrorBody struct {
	Message    string      `json:"message"`
	Errors     []ErrorItem `json:"errors,omitempty"`
	TrackingID string      `json:"trackingId,omitempty"`
}

// ErrorItem is one entry of ErrorBody.Errors.
type ErrorItem struct {
	Description string `json:"description"`
	ErrorCode   int    `json:"errorCode,omitempty"`
}

// TokenResponse answers POST /access_token and POST /applications/{id}/token.
type TokenResponse struct {
	AccessToken           string `json:"access_token"`
	ExpiresIn             int64  `json:"expires_in"`
	RefreshToken          string `json:"refresh_token,omitempty"`
	RefreshTokenExpiresIn int64  `json:"refresh_token_expires_in,omitempty"`
	TokenType             string `json:"token_type"`
}

// ServiceAppTokenRequest is the body of POST /applications/{id}/token.
type ServiceAppTokenRequest struct {
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	TargetOrgID  string `json:"targetOrgId"`
}

// ListResponse is the envelope of list calls (L1, L2, L3, D2).
type ListResponse[T any] struct {
	Items       []T      `json:"items"`
	NotFoundIDs []string `json:"notFoundIds,omitempty"`
}

// Person is an item of GET /people (L1).
type Person struct {
	ID           string        `json:"id"`
	Emails       []string      `json:"emails"`
	DisplayName  string        `json:"displayName,omitempty"`
	FirstName    string        `json:"firstName,omitempty"`
	LastName     string        `json:"lastName,omitempty"`
	Extension    string        `json:"extension,omitempty"`
	LocationID   string        `json:"locationId,omitempty"`
	PhoneNumbers []PhoneNumber `json:"phoneNumbers,omitempty"`
	OrgID        string        `json:"orgId,omitempty"`
}

// PhoneNumber is one of a person's numbers.
type PhoneNumber struct {
	Type    string `json:"type"`
	Value   string `json:"value"`
	Primary bool   `json:"primary,omitempty"`
}

// Workspace is an item of GET /workspaces (L2).
type Workspace struct {
	ID          string            `json:"id"`
	DisplayName string            `json:"displayName"`
	LocationID  string            `json:"locationId,omitempty"`
	Calling     *WorkspaceCalling `json:"calling,omitempty"`
	// SupportedDevices is "collaborationDevices" (Webex's default) or
	// "phones"; only the latter take phones.
	SupportedDevices string `json:"supportedDevices,omitempty"`
	OrgID            string `json:"orgId,omitempty"`
}

// Workspace calling types and device kinds that take a phone.
const (
	CallingWebex          = "webexCalling"
	WorkspaceTakesPhones  = "phones"
	WorkspaceTakesCollabs = "collaborationDevices"
)

// WorkspaceCalling says how a workspace is calling-enabled ("webexCalling", "freeCalling", ...).
type WorkspaceCalling struct {
	Type string `json:"type"`
}

// Location is an item of GET /locations (L3).
type Location struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	OrgID string `json:"orgId,omitempty"`
}

// LocationCalling is GET /telephony/config/locations/{id} (L3).
type LocationCalling struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	DefaultDomain string `json:"defaultDomain"`
}

// SupportedDevicesResponse is GET /telephony/config/supportedDevices (S1).
type SupportedDevicesResponse struct {
	Devices            []SupportedDevice `json:"devices"`
	UpgradeChannelList []string          `json:"upgradeChannelList"`
}

// SupportedDevice is one model Webex Calling supports (the spec's
// DeviceObject; the fields it requires are always sent).
type SupportedDevice struct {
	Model             string   `json:"model"`
	DisplayName       string   `json:"displayName"`
	FamilyDisplayName string   `json:"familyDisplayName,omitempty"`
	Type              string   `json:"type"`         // MPP, ATA, GENERIC_SIP, ESIM, DESK_PHONE
	Manufacturer      string   `json:"manufacturer"` // CISCO, THIRD_PARTY
	ManagedBy         string   `json:"managedBy"`    // CISCO, CUSTOMER (spec); PARTNER (wxc_sdk): depend on none
	SupportedFor      []string `json:"supportedFor"` // PEOPLE, PLACE
	OnboardingMethod  []string `json:"onboardingMethod"`
	NumberOfLinePorts int      `json:"numberOfLinePorts"`

	SupportsApplyChangesEnabled  bool `json:"supportsApplyChangesEnabled"`
	CustomizableLineLabelEnabled bool `json:"customizableLineLabelEnabled"`
	T38Enabled                   bool `json:"t38Enabled"`

	AllowConfigureLayoutEnabled             bool `json:"allowConfigureLayoutEnabled"`
	AllowConfigureLinesEnabled              bool `json:"allowConfigureLinesEnabled"`
	AllowConfigurePhoneSettingsEnabled      bool `json:"allowConfigurePhoneSettingsEnabled"`
	AllowConfigurePortsEnabled              bool `json:"allowConfigurePortsEnabled"`
	AllowHotelingHostEnabled                bool `json:"allowHotelingHostEnabled"`
	AdditionalPrimaryLineAppearancesEnabled bool `json:"additionalPrimaryLineAppearancesEnabled"`
	BasicEmergencyNomadicEnabled            bool `json:"basicEmergencyNomadicEnabled"`
	CallDeclinedEnabled                     bool `json:"callDeclinedEnabled"`
	CustomizedBehaviorsEnabled              bool `json:"customizedBehaviorsEnabled"`
	KEMSupportEnabled                       bool `json:"kemSupportEnabled"`
	KEMLinesSupportEnabled                  bool `json:"kemLinesSupportEnabled"`
	NumberOfLineKeyButtons                  int  `json:"numberOfLineKeyButtons"`
	PortNumberSupportEnabled                bool `json:"portNumberSupportEnabled"`
	SupportsHotlineEnabled                  bool `json:"supportsHotlineEnabled"`
	SupportsLinePortReorderingEnabled       bool `json:"supportsLinePortReorderingEnabled"`
	TouchScreenPhone                        bool `json:"touchScreenPhone"`
	UpgradeChannelEnabled                   bool `json:"upgradeChannelEnabled"`
}

// Owner types of SupportedDevice.SupportedFor and onboarding methods of
// SupportedDevice.OnboardingMethod.
const (
	SupportedForPeople = "PEOPLE"
	SupportedForPlace  = "PLACE"
	OnboardingMAC      = "MAC_ADDRESS"
)

// ValidateMACsRequest is the body of M1.
type ValidateMACsRequest struct {
	MACs []string `json:"macs"`
}

// ValidateMACsResponse answers M1.
type ValidateMACsResponse struct {
	Status    string      `json:"status"` // OK, ERRORS
	MACStatus []MACStatus `json:"macStatus,omitempty"`
}

// MAC states reported by M1.
const (
	MACAvailable       = "AVAILABLE"
	MACUnavailable     = "UNAVAILABLE"
	MACDuplicateInList = "DUPLICATE_IN_LIST"
	MACInvalid         = "INVALID"
)

// MACStatus is the state of one MAC in M1's answer.
type MACStatus struct {
	MAC       string `json:"mac"`
	State     string `json:"state"`
	ErrorCode int    `json:"errorCode,omitempty"`
	Message   string `json:"message,omitempty"`
}

// CreateDeviceRequest is the body of POST /devices (D1): exactly one of
// PersonID and WorkspaceID.
type CreateDeviceRequest struct {
	MAC         string `json:"mac"`
	Model       string `json:"model"`
	PersonID    string `json:"personId,omitempty"`
	WorkspaceID string `json:"workspaceId,omitempty"`
	Password    string `json:"password,omitempty"`
}

// Device is the /devices resource (D1, D2, D3).
type Device struct {
	ID               string    `json:"id"`
	CallingDeviceID  string    `json:"callingDeviceId,omitempty"`
	DisplayName      string    `json:"displayName"`
	PersonID         string    `json:"personId,omitempty"`
	WorkspaceID      string    `json:"workspaceId,omitempty"`
	OrgID            string    `json:"orgId"`
	MAC              string    `json:"mac"`
	Product          string    `json:"product"`
	Type             string    `json:"type"`
	ManagedBy        string    `json:"managedBy,omitempty"`
	ConnectionStatus string    `json:"connectionStatus"`
	Created          time.Time `json:"created"`
	// FirstSeen and LastSeen are the first and last time the device sent
	// a status post (the spec's words); absent (zero) for a device that
	// never has.
	FirstSeen time.Time `json:"firstSeen,omitzero"`
	LastSeen  time.Time `json:"lastSeen,omitzero"`
}

// The device connection states the published spec lists
// (DeviceConnectionStatus), in its order.
const (
	StatusConnected           = "connected"
	StatusDisconnected        = "disconnected"
	StatusConnectedWithIssues = "connected_with_issues"
	StatusOfflineExpired      = "offline_expired"
	StatusActivating          = "activating"
	StatusUnknown             = "unknown"
	StatusOfflineDeepSleep    = "offline_deep_sleep"
)

// ConnectionStatuses are the documented connectionStatus values, in the
// spec's order.
var ConnectionStatuses = []string{
	StatusConnected, StatusDisconnected, StatusConnectedWithIssues, StatusOfflineExpired,
	StatusActivating, StatusUnknown, StatusOfflineDeepSleep,
}

// DeviceTypes are GET /devices' type filter values, as the published spec
// lists them.
var DeviceTypes = []string{"roomdesk", "phone", "accessory", "webexgo", "unknown"}

// DeviceQuery filters GET /devices (D2). Zero fields are not sent.
type DeviceQuery struct {
	MAC         string
	PersonID    string
	WorkspaceID string
	Product     string
	// Type is the product type (DeviceTypes).
	Type string
	// ConnectionStatus lists only devices in this state (ConnectionStatuses).
	ConnectionStatus string
}

// TelephonyDevice is GET /telephony/config/devices/{id} (T1).
type TelephonyDevice struct {
	ID                    string      `json:"id"`
	MAC                   string      `json:"mac"`
	Model                 string      `json:"model"`
	Manufacturer          string      `json:"manufacturer"`
	ManagedBy             string      `json:"managedBy"`
	IP                    string      `json:"ip"` // required by the spec, empty until the device registers
	Owner                 DeviceOwner `json:"owner"`
	Proxy                 DeviceProxy `json:"proxy"`
	UpgradeChannelEnabled bool        `json:"upgradeChannelEnabled"`
}

// DeviceOwner is T1's owner: the digest user name and the owner's line port.
type DeviceOwner struct {
	ID          string `json:"id,omitempty"`
	Type        string `json:"type,omitempty"` // PEOPLE, PLACE
	FirstName   string `json:"firstName,omitempty"`
	LastName    string `json:"lastName,omitempty"`
	SIPUserName string `json:"sipUserName"`
	LinePort    string `json:"linePort"`
}

// DeviceProxy is T1's proxy: the outbound proxy is an SRV domain.
type DeviceProxy struct {
	OutboundProxy string `json:"outboundProxy"`
}

// SIPPasswordRequest is the body of T2.
type SIPPasswordRequest struct {
	SIPPassword string `json:"sipPassword"`
}

// Line types and member types of T3/T4.
const (
	LinePrimary = "PRIMARY"
	LineShared  = "SHARED_CALL_APPEARANCE"

	MemberPeople      = "PEOPLE"
	MemberPlace       = "PLACE"
	MemberVirtualLine = "VIRTUAL_LINE"
)

// Members is GET /telephony/config/devices/{id}/members (T3).
type Members struct {
	Model        string   `json:"model"`
	MaxLineCount int      `json:"maxLineCount"`
	Members      []Member `json:"members"`
}

// Member is one line appearance or port on a device (T3).
type Member struct {
	ID                      string          `json:"id"`
	Port                    int             `json:"port"`
	PrimaryOwner            bool            `json:"primaryOwner"`
	LineType                string          `json:"lineType"`
	LineWeight              int             `json:"lineWeight"`
	LinePort                string          `json:"linePort"`
	MemberType              string          `json:"memberType"`
	FirstName               string          `json:"firstName"`
	LastName                string          `json:"lastName"`
	Extension               string          `json:"extension,omitempty"`
	PhoneNumber             string          `json:"phoneNumber,omitempty"`
	HotlineEnabled          bool            `json:"hotlineEnabled"`
	HotlineDestination      string          `json:"hotlineDestination"`
	AllowCallDeclineEnabled bool            `json:"allowCallDeclineEnabled"`
	LineLabel               string          `json:"lineLabel,omitempty"`
	Location                *MemberLocation `json:"location,omitempty"`
	// T38FaxCompressionEnabled is reported for ATA/gateway ports only.
	T38FaxCompressionEnabled *bool `json:"t38FaxCompressionEnabled,omitempty"`
}

// MemberLocation names a member's location.
type MemberLocation struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// PutMembersRequest is the body of T4; it replaces the whole list.
type PutMembersRequest struct {
	Members []MemberPut `json:"members"`
}

// MemberPut is one member as T4 takes it.
type MemberPut struct {
	Port                    int    `json:"port"`
	ID                      string `json:"id"`
	PrimaryOwner            bool   `json:"primaryOwner"`
	LineType                string `json:"lineType"`
	LineWeight              int    `json:"lineWeight"`
	HotlineEnabled          bool   `json:"hotlineEnabled"`
	HotlineDestination      string `json:"hotlineDestination"` // required by the spec, even empty
	AllowCallDeclineEnabled bool   `json:"allowCallDeclineEnabled"`
	LineLabel               string `json:"lineLabel,omitempty"`
	// T38FaxCompressionEnabled is sent for the ports of ATA/gateway models
	// only (the spec: "available only for ATA Devices").
	T38FaxCompressionEnabled *bool `json:"t38FaxCompressionEnabled,omitempty"`
}

// GeneratePasswordRequest is the body of P1.
type GeneratePasswordRequest struct {
	Generate []string `json:"generate"`
}

// GeneratePasswordResponse answers P1.
type GeneratePasswordResponse struct {
	ExampleSIPPassword string `json:"exampleSipPassword"`
}
