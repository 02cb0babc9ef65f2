// Package inventory reads the spreadsheet a migration starts from (.xlsx or .csv),
// normalises it and validates every rule of the inventory format, reporting each
// problem at its file, sheet, row and column.
package inventory

import "fmt"

// Kind is what a device is: a phone (lines) or a gateway (ports).
type Kind string

// The device kinds an inventory may name.
const (
	Phone   Kind = "phone"
	Gateway Kind = "gateway"
)

// MaxLines returns the partner-managed limit for the kind: 20 lines for a
// phone, 100 ports for a gateway.
func (k Kind) MaxLines() int {
	if k == Gateway {
		return 100
	}
	return 20
}

// OwnerType says whether an owner is a person (by e-mail) or a workspace (by name).
type OwnerType string

// The owner types.
const (
	Person    OwnerType = "person"
	Workspace OwnerType = "workspace"
)

// Pos locates a cell: the file, the sheet ("" for CSV), the 1-based spreadsheet
// row, and the column letter with the header it carries.
type Pos struct {
	File   string `json:"file"`
	Sheet  string `json:"sheet,omitempty"`
	Row    int    `json:"row"`
	Column string `json:"column,omitempty"` // column letter, e.g. "B"
	Header string `json:"header,omitempty"` // the header text as written in the file
}

// String renders the position as FILE:SHEET:ROW:COLUMN.
func (p Pos) String() string {
	return fmt.Sprintf("%s:%s:%d:%s", p.File, p.Sheet, p.Row, p.Column)
}

// Device is one validated inventory row.
type Device struct {
	Pos       Pos       `json:"pos"`
	MAC       string    `json:"mac"` // 12 upper-case hex digits
	Type      Kind      `json:"type"`
	Make      string    `json:"make"`
	Model     string    `json:"model"`
	Owner     string    `json:"owner"`
	OwnerType OwnerType `json:"ownerType"`
	Location  string    `json:"location,omitempty"`
	// Lines is every line appearance (phone) or port (gateway) in port order,
	// starting with the owner's own at port 1.
	Lines []Line `json:"lines"`
	// SIPPassword is the sheet's password; empty means "generate one".
	SIPPassword string `json:"-"`
	Template    string `json:"template,omitempty"`
	// WebexModel is the webex_model column: the Webex model (S1 model or
	// display name) to provision, overriding the match of make and model.
	WebexModel string `json:"webexModel,omitempty"`
	// ModelCell locates the cell that names the model (webex_model when
	// given, else model), for plan-time errors about it.
	ModelCell Pos `json:"-"`
	// OwnerCell locates the owner cell, for plan-time errors about the owner
	// (a workspace that cannot take phones, an unknown person).
	OwnerCell Pos `json:"-"`
	// LocationCell locates the location cell, for plan-time errors about
	// the location (not in Webex).
	LocationCell Pos `json:"-"`
	// SIPUser and Domain are read from lab inventories (certify --inventory).
	SIPUser string `json:"sipUser,omitempty"`
	Domain  string `json:"domain,omitempty"`
	// Vars holds every column the format does not name, keyed by the
	// normalised header (lower case, no spaces, '_' or '-'); templates read them.
	// Read-only: Read shares one map between rows with the same values.
	Vars map[string]string `json:"vars,omitempty"`
}

// Line is one line appearance or gateway port.
type Line struct {
	Port      int       `json:"port"`
	Owner     string    `json:"owner"`
	OwnerType OwnerType `json:"ownerType"`
	Shared    bool      `json:"shared"` // SHARED_CALL_APPEARANCE rather than PRIMARY
	Label     string    `json:"label,omitempty"`
	Pos       Pos       `json:"pos"`
}

// Model is one entry of the model catalog: an inventory make/model and the
// Webex model and template family it maps to.
type Model struct {
	Make       string `json:"make"`
	Model      string `json:"model"`
	Type       Kind   `json:"type"`
	WebexModel string `json:"webexModel,omitempty"` // optional: pins the Webex model (else matched against the live catalog)
	Vendor     string `json:"vendor"`               // template family: yealink, poly, grandstream, audiocodes, generic
	MaxLines   int    `json:"maxLines"`             // the model's numberOfLinePorts
}
