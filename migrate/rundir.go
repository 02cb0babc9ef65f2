package migrate

import (
	"time"

	"github.com/cutover-dev/cutover/rundir"
)

// The run directory, its journal and its replay are rundir's; these names
// keep the engine's API (and its callers) reading as before.
type (
	Event         = rundir.Event
	Step          = rundir.Step
	Status        = rundir.Status
	Journal       = rundir.Journal
	JournalOption = rundir.JournalOption
	StepState     = rundir.StepState
	DeviceState   = rundir.DeviceState
)

// The pipeline steps (rundir.Pipeline is their one order) and statuses.
const (
	StepCreate   = rundir.StepCreate
	StepPassword = rundir.StepPassword
	StepMembers  = rundir.StepMembers
	StepApply    = rundir.StepApply
	StepInfo     = rundir.StepInfo
	StepRender   = rundir.StepRender
	StepPublish  = rundir.StepPublish
	StepDelete   = rundir.StepDelete

	StatusStarted = rundir.StatusStarted
	StatusDone    = rundir.StatusDone
	StatusFailed  = rundir.StatusFailed
	StatusSkipped = rundir.StatusSkipped
)

// File names inside a run directory (rundir owns them).
const (
	PlanFile    = rundir.PlanFile
	JournalFile = rundir.JournalFile
	SecretsFile = rundir.SecretsFile
	InfoDir     = rundir.InfoDir
	LockFile    = rundir.LockFile
)

var (
	// ErrRunDirBusy is returned when another process holds the run directory.
	ErrRunDirBusy = rundir.ErrBusy
	// ErrJournal marks an error writing the journal; it is fatal to a run.
	ErrJournal = rundir.ErrJournal
)

// OpenJournal, SyncEvery, SyncInterval, ReadJournal and Replay are rundir's.
var (
	OpenJournal  = rundir.OpenJournal
	SyncEvery    = rundir.SyncEvery
	SyncInterval = rundir.SyncInterval
	ReadJournal  = rundir.ReadJournal
	Replay       = rundir.Replay
)

const (
	idDevice        = rundir.IDDevice
	idCallingDevice = rundir.IDCallingDevice
	idOwner         = rundir.IDOwner
	idWave          = rundir.IDWave
	detailAdopted   = rundir.DetailAdopted
)

func journalClock(now func() time.Time) JournalOption { return rundir.WithClock(now) }
