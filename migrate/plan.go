package migrate

import (
	"time"

	"github.com/cutover-dev/cutover/migrate/inventory"
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
	Created   time.Time       `json:"created"`
	Inventory string          `json:"inventory"`
	OrgID     string          `json:"orgId,omitempty"`
	Devices   []PlannedDevice `json:"devices"`
	Summary   map[Action]int  `json:"summary"`
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
}
