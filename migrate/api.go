package migrate

import (
	"context"

	"github.com/cutover-dev/cutover/webex"
)

// API is the part of the Webex API the engine uses; *webex.Client satisfies
// it. Retries, rate limiting and the exactly-once resolution of a create whose
// answer was lost live behind it, in the client.
type API interface {
	FindPeopleByEmail(ctx context.Context, email string) ([]webex.Person, error)
	FindWorkspaces(ctx context.Context, name string) ([]webex.Workspace, error)
	FindLocations(ctx context.Context, name string) ([]webex.Location, error)
	GetLocationCalling(ctx context.Context, id string) (*webex.LocationCalling, error)
	SupportedDevices(ctx context.Context) ([]webex.SupportedDevice, error)
	ValidateMACs(ctx context.Context, macs []string) ([]webex.MACStatus, error)
	CreateDevice(ctx context.Context, req webex.CreateDeviceRequest) (*webex.Device, error)
	ListDevices(ctx context.Context, q webex.DeviceQuery) ([]webex.Device, error)
	DeleteDevice(ctx context.Context, id string) error
	GetTelephonyDevice(ctx context.Context, id string) (*webex.TelephonyDevice, error)
	SetSIPPassword(ctx context.Context, id, password string) error
	GetMembers(ctx context.Context, id string) (*webex.Members, error)
	PutMembers(ctx context.Context, id string, members []webex.MemberPut) error
	ApplyChanges(ctx context.Context, id string) error
}
