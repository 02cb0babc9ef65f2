// Package rundir owns the run directory: its layout, file names, modes and
// formats, the lock, the journal (append and the one replay every reader
// uses) and the atomic writes of what lives in it. Every command and the demo
// go through it; it imports none of migrate, certify, render or reports, so
// each of them can.
//
//	DIR/.lock           the lock (flock): one writing process at a time
//	DIR/plan.json       the plan (0644), replaced atomically, only under the lock
//	DIR/catalog.json    the org's supported devices as the plan read them (0644)
//	DIR/journal.jsonl   one event per step per device, append-only (0644)
//	DIR/secrets.json    SIP passwords (0600), optionally AES-GCM encrypted
//	DIR/info/MAC.json   device info (0644, no secret)
//	DIR/configs/        rendered configs (0600: they hold SIP passwords), and
//	                    the trusted CA's PEM the configs point devices at
//	DIR/provisioning.json  where devices fetch configs and that CA (0644)
//	DIR/certify.jsonl   certification results (0600: a failing case's reason
//	                    may quote what an SBC said about a credential)
//	DIR/report.html, report.xlsx, junit.xml   the reports (0644)
//	DIR/invalid-rows.xlsx  rows migrate --skip-invalid left out, marked (0600)
package rundir

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cutover-dev/cutover/internal/atomicfile"
	"github.com/cutover-dev/cutover/macaddr"
)

// The names inside a run directory.
const (
	LockFile    = ".lock"
	PlanFile    = "plan.json"
	CatalogFile = "catalog.json"
	JournalFile = "journal.jsonl"
	SecretsFile = "secrets.json"
	InfoDir     = "info"
	ConfigsDir  = "configs"
	ResultsFile = "certify.jsonl"
	HTMLFile    = "report.html"
	XLSXFile    = "report.xlsx"
	JUnitFile   = "junit.xml"
	// InvalidRowsFile is where migrate --skip-invalid marks the rows it
	// left out when --errors names no file.
	InvalidRowsFile = "invalid-rows.xlsx"
)

// ProvisioningFile records the provisioning URL the configs were rendered
// for and the CA file published beside them (render owns the format), so
// that certify can check the CA URL a config names.
const ProvisioningFile = "provisioning.json"

// Modes: anything that holds or may quote a secret is ModeSecret.
const (
	ModeDir    os.FileMode = 0o755
	ModePublic os.FileMode = 0o644
	ModeSecret os.FileMode = 0o600
	// ModeSecretDir is configs/: its listing names the devices whose
	// passwords it holds.
	ModeSecretDir os.FileMode = 0o700
)

// Path returns name inside dir.
func Path(dir, name string) string { return filepath.Join(dir, name) }

// InfoPath returns the device info file of mac (canonical form).
func InfoPath(dir, mac string) string { return filepath.Join(dir, InfoDir, mac+".json") }

// Reports returns the paths of the three reports in dir.
func Reports(dir string) (html, xlsx, junit string) {
	return Path(dir, HTMLFile), Path(dir, XLSXFile), Path(dir, JUnitFile)
}

// WriteFile replaces dir/name atomically with data, mode perm (durably when
// sync is set), creating the directories it needs.
func WriteFile(dir, name string, data []byte, perm os.FileMode, sync bool) error {
	path := Path(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), ModeDir); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return atomicfile.Write(path, data, perm, sync)
}

// WritePlan writes v (the plan) as indented JSON to plan.json, atomically
// and durably. It requires the directory's lock: a second process planning
// on a directory in use must never replace the plan a run is following.
func WritePlan(l *Lock, v any) error {
	if err := l.held(); err != nil {
		return fmt.Errorf("writing plan: %w", err)
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("writing plan: %w", err)
	}
	if err := WriteFile(l.dir, PlanFile, append(b, '\n'), ModePublic, true); err != nil {
		return fmt.Errorf("writing plan: %w", err)
	}
	return nil
}

// ReadPlan decodes dir/plan.json into v. A missing plan is an error wrapping
// os.ErrNotExist; a malformed one names the file.
func ReadPlan(dir string, v any) error {
	path := Path(dir, PlanFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading plan: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("reading plan: %s: %w", path, err)
	}
	return nil
}

// ReadInfo decodes DIR/info/<mac>.json into v (render.DeviceInfo). A
// missing file is an error wrapping os.ErrNotExist (the device has not got
// that far); a malformed one, or one naming another MAC (a file copied or
// renamed by hand), is an error naming the file.
func ReadInfo(dir, mac string, v any) error {
	// The MAC names a file: a plan edited by hand must not name one
	// outside info/.
	if !macaddr.Valid(mac) {
		return fmt.Errorf("reading device info: %.40q is not a MAC in canonical form", mac)
	}
	path := InfoPath(dir, mac)
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading device info: %w", err)
	}
	var head struct {
		MAC string `json:"mac"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return fmt.Errorf("reading device info %s: %w", path, err)
	}
	if head.MAC != mac {
		return fmt.Errorf("reading device info %s: it describes MAC %.40q, not %s", path, head.MAC, mac)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("reading device info %s: %w", path, err)
	}
	return nil
}

// HasRunData reports whether dir holds any of plan, journal and results.
func HasRunData(dir string) bool {
	for _, f := range []string{PlanFile, JournalFile, ResultsFile} {
		if _, err := os.Stat(Path(dir, f)); err == nil {
			return true
		}
	}
	return false
}

// OpenResults opens dir/certify.jsonl for appending, mode ModeSecret; a file
// left by an older version with a looser mode is tightened.
func OpenResults(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, ModeDir); err != nil {
		return nil, fmt.Errorf("opening results: %w", err)
	}
	f, err := os.OpenFile(Path(dir, ResultsFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, ModeSecret)
	if err != nil {
		return nil, fmt.Errorf("opening results: %w", err)
	}
	if err := f.Chmod(ModeSecret); err != nil {
		f.Close()
		return nil, fmt.Errorf("opening results: %w", err)
	}
	return f, nil
}
