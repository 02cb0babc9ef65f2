package migrate

import (
	"time"

	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/webex"
)

// Action is what a plan decides for one device.
type Action string

// Plan actions.
const (
	ActionCreate   Action = "create"   // not in Webex yet
	ActionAdopt    Action = "adopt"    // exists with the same owner and model: nothing to create
	ActionUpdate   Action = "update"   // exists with the same owner and model, lines differ
	ActionConflict Action = "conflict" // MAC owned by someone else: never touched
	ActionInvalid  Action = "invalid"  // cannot be migrated as written (reason says why)
)

// Plan is DIR/plan.json: the decision for every device of an inventory.
type Plan struct {
	Created   time.Time `json:"created"`
	Inventory string    `json:"inventory"`
	OrgID     string    `json:"orgId,omitempty"`
	// Shard is the shard of the inventory the plan covers ("K/N", see
	// package shard); empty for the whole inventory. A run directory
	// belongs to one shard: CheckShard refuses another.
	Shard   string          `json:"shard,omitempty"`
	Devices []PlannedDevice `json:"devices"`
	Summary map[Action]int  `json:"summary"`
	// Catalog is the org's supported-devices list the plan matched models
	// against; WritePlan caches it as catalog.json beside plan.json.
	Catalog *WebexCatalog `json:"-"`
	// Done holds the devices the run directory's journal shows finished
	// when the plan was made (Migrate fills it in; not stored): the
	// summary counts them as done rather than by what Webex now holds.
	Done map[string]bool `json:"-"`
	// Resume holds the devices this run directory created whose later
	// steps are left (filled in and not stored like Done): Webex has them,
	// so the plan says adopt or update, but nothing was adopted.
	Resume map[string]bool `json:"-"`
}

// PlannedDevice is one device of a Plan.
type PlannedDevice struct {
	MAC        string              `json:"mac"`
	Type       inventory.Kind      `json:"type"`
	Make       string              `json:"make"`
	Model      string              `json:"model"`
	WebexModel string              `json:"webexModel,omitempty"`
	Vendor     string              `json:"vendor,omitempty"`
	Owner      string              `json:"owner"`
	OwnerType  inventory.OwnerType `json:"ownerType"`
	OwnerID    string              `json:"ownerId,omitempty"`
	Location   string              `json:"location,omitempty"`
	LocationID string              `json:"locationId,omitempty"`
	Lines      int                 `json:"lines"`
	Action     Action              `json:"action"`
	Reason     string              `json:"reason,omitempty"`
	DeviceID   string              `json:"deviceId,omitempty"` // the existing device, for adopt/update/conflict
	Pos        inventory.Pos       `json:"pos"`
	// CallingDeviceID is the existing device's telephony id, for adopt/update.
	CallingDeviceID string `json:"callingDeviceId,omitempty"`
	// OwnerExtension is the owner's extension, which a SIP password must not contain.
	OwnerExtension string `json:"ownerExtension,omitempty"`
	// Members is the resolved line (or port) list the device gets (T4).
	Members []webex.MemberPut `json:"members,omitempty"`
	// ApplyChanges says the model supports applyChanges (T5).
	ApplyChanges bool `json:"applyChanges,omitempty"`
	// Wave is the run's wave label.
	Wave string `json:"wave,omitempty"`
}
