package render

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/cutover-dev/cutover/internal/atomicfile"
	"github.com/cutover-dev/cutover/rundir"
	"golang.org/x/sync/errgroup"
)

// ConfigsDir is where a run directory keeps its rendered configs (rundir
// owns the name).
const ConfigsDir = rundir.ConfigsDir

// SecretStore gives the SIP password of a device by MAC (12 upper-case hex
// digits). *migrate.Secrets, which reads DIR/secrets.json (plain or encrypted
// with CUTOVER_SECRET_KEY), satisfies it.
type SecretStore interface {
	Get(mac string) (string, bool)
}

// Extra is what a run directory does not record about a device but its
// templates may need: the inventory's extra columns and template override.
type Extra struct {
	Vars     map[string]string
	Template string
}

// RunOptions configures RenderRun.
type RunOptions struct {
	Secrets SecretStore // required
	// Renderer renders the devices; nil means New() with the embedded templates.
	Renderer *Renderer
	// Extras, by MAC, supplies inventory variables and template overrides.
	Extras map[string]Extra
	Jobs   int          // concurrent renders; 0 means GOMAXPROCS
	Logger *slog.Logger // nil discards
}

// DeviceError is one device that could not be rendered.
type DeviceError struct {
	MAC string
	Err error
}

func (e DeviceError) Error() string { return e.MAC + ": " + e.Err.Error() }
func (e DeviceError) Unwrap() error { return e.Err }

// RunResult counts what RenderRun did.
type RunResult struct {
	Rendered  int           // devices whose files were (re)written
	Unchanged int           // devices whose files already held the same bytes
	Pending   int           // planned devices without device info yet (not migrated)
	Skipped   int           // devices the plan does not migrate (conflict, invalid)
	Files     int           // files written
	Failed    []DeviceError // in MAC order
}

// ErrRunDir is returned when the run directory lacks what RenderRun needs.
var ErrRunDir = errors.New("not a run directory")

// PlannedDevice is the part of a device's entry in a run directory's
// plan.json (migrate.PlannedDevice) that rendering and certifying need:
// render cannot import migrate (migrate imports render), and certify reads
// the plan through render so that the two agree on it.
type PlannedDevice struct {
	MAC    string `json:"mac"`
	Make   string `json:"make"`
	Model  string `json:"model"`
	Vendor string `json:"vendor"`
	Action string `json:"action"`
}

// Migrated reports whether the plan migrates the device (create, adopt or
// update): only those get a config.
func (d PlannedDevice) Migrated() bool {
	switch d.Action {
	case "create", "adopt", "update":
		return true
	}
	return false
}

// ReadPlanDevices reads the devices of dir/plan.json, in plan order. A plan
// that cannot be read is an error wrapping ErrRunDir.
func ReadPlanDevices(dir string) ([]PlannedDevice, error) {
	var plan struct {
		Devices []PlannedDevice `json:"devices"`
	}
	if err := rundir.ReadPlan(dir, &plan); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %w", ErrRunDir, err)
		}
		return nil, err
	}
	return plan.Devices, nil
}

// RenderRun re-renders every migrated device of the run directory dir into
// dir/configs (directory 0700, files 0600, each replaced atomically; files
// whose bytes are unchanged are left alone). It reads dir/plan.json (make,
// model and vendor family per MAC), dir/info/<MAC>.json (the device info) and
// the passwords from opts.Secrets. A device that fails is recorded in the
// result and the others go on; the error return is for the run as a whole
// (unreadable plan, no password store, a configs directory it cannot create).
func RenderRun(ctx context.Context, dir string, opts RunOptions) (*RunResult, error) {
	if opts.Secrets == nil {
		return nil, errors.New("rendering run: no SIP password store")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r := opts.Renderer
	if r == nil {
		var err error
		if r, err = New(); err != nil {
			return nil, err
		}
	}
	planned, err := ReadPlanDevices(dir)
	if err != nil {
		return nil, fmt.Errorf("rendering run %s: %w", dir, err)
	}
	out := filepath.Join(dir, ConfigsDir)
	if err := os.MkdirAll(out, rundir.ModeSecretDir); err != nil {
		return nil, fmt.Errorf("rendering run: %w", err)
	}
	if err := r.WriteTrust(dir); err != nil {
		return nil, fmt.Errorf("rendering run: %w", err)
	}
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	res := &RunResult{}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	for _, pd := range planned {
		if !pd.Migrated() {
			res.Skipped++
			continue
		}
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			written, pending, err := renderOne(r, dir, out, pd, opts)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				res.Failed = append(res.Failed, DeviceError{MAC: pd.MAC, Err: err})
				log.Warn("device not rendered", "mac", pd.MAC, "err", err)
			case pending:
				res.Pending++
			case written == 0:
				res.Unchanged++
			default:
				res.Rendered++
				res.Files += written
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return res, err
	}
	sort.Slice(res.Failed, func(i, j int) bool { return res.Failed[i].MAC < res.Failed[j].MAC })
	log.Info("rendered run", "rendered", res.Rendered, "unchanged", res.Unchanged, "pending", res.Pending, "failed", len(res.Failed))
	return res, nil
}

func renderOne(r *Renderer, dir, out string, pd PlannedDevice, opts RunOptions) (written int, pending bool, err error) {
	mac, err := NormalizeMAC(pd.MAC)
	if err != nil {
		return 0, false, err
	}
	var info DeviceInfo
	err = rundir.ReadInfo(dir, mac, &info)
	if errors.Is(err, os.ErrNotExist) {
		return 0, true, nil
	}
	if err != nil {
		return 0, false, err
	}
	pw, ok := opts.Secrets.Get(mac)
	if !ok || pw == "" {
		return 0, false, errors.New("no SIP password in the run's secrets")
	}
	if info.MAC == "" {
		info.MAC = mac
	}
	ex := opts.Extras[mac]
	_, written, err = r.WriteDevice(out, Device{
		Info: info, Make: pd.Make, Model: pd.Model, Vendor: pd.Vendor,
		Template: ex.Template, Password: pw, Vars: ex.Vars,
	})
	return written, false, err
}

// WriteDevice renders d into dir (created 0700), each file 0600 and replaced
// atomically unless it already holds the same bytes. It returns the files
// and how many were written.
func (r *Renderer) WriteDevice(dir string, d Device) ([]File, int, error) {
	files, err := r.Render(d)
	if err != nil {
		return nil, 0, err
	}
	if err := os.MkdirAll(dir, rundir.ModeSecretDir); err != nil {
		return nil, 0, fmt.Errorf("writing configs: %w", err)
	}
	written := 0
	for _, f := range files {
		changed, err := writeIfChanged(filepath.Join(dir, f.Name), f.Data)
		if err != nil {
			return files, written, err
		}
		if changed {
			written++
		}
	}
	return files, written, nil
}

// writeIfChanged replaces path with data atomically as mode 0600, unless it
// already holds data.
func writeIfChanged(path string, data []byte) (bool, error) {
	changed, err := atomicfile.WriteIfChanged(path, data, rundir.ModeSecret, false)
	if err != nil {
		return false, fmt.Errorf("writing config: %w", err)
	}
	return changed, nil
}

// Provisioning is what DIR/provisioning.json records: where the devices of
// a run fetch their configs, and the trusted CA published beside them.
type Provisioning struct {
	// URL is the provisioning base URL ("/"-terminated); empty when the
	// configs were rendered without one.
	URL string `json:"url,omitempty"`
	// TrustFile is the CA's PEM file name in DIR/configs; TrustURL is where
	// devices download it (URL + TrustFile), empty without a URL.
	TrustFile string `json:"trustFile"`
	TrustURL  string `json:"trustUrl,omitempty"`
	TrustName string `json:"trustName"`
}

// TrustFile returns the trusted CA's PEM as a file to publish beside the
// configs, and false when the renderer's trust root has no PEM.
func (r *Renderer) TrustFile() (File, bool) {
	t := r.sip.Trust
	if t.PEM == "" || t.File == "" {
		return File{}, false
	}
	return File{Name: t.File, Data: []byte(t.PEM)}, true
}

// WriteTrust puts the trusted CA's PEM into the run directory's configs
// (mode 0600 like every file there; unchanged bytes are left alone) and
// records the provisioning URL and the CA in DIR/provisioning.json, once
// per run: the publish step and cutover publish take the PEM from there,
// and certify checks each config's CA URL against the record.
func (r *Renderer) WriteTrust(runDir string) error {
	f, ok := r.TrustFile()
	if !ok {
		return nil
	}
	if err := os.MkdirAll(filepath.Join(runDir, ConfigsDir), rundir.ModeSecretDir); err != nil {
		return fmt.Errorf("writing trusted CA: %w", err)
	}
	if _, err := writeIfChanged(filepath.Join(runDir, ConfigsDir, f.Name), f.Data); err != nil {
		return fmt.Errorf("writing trusted CA: %w", err)
	}
	p := Provisioning{URL: r.provURL, TrustFile: f.Name, TrustURL: r.sip.Trust.URL, TrustName: r.sip.Trust.Name}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("writing provisioning record: %w", err)
	}
	if _, err := atomicfile.WriteIfChanged(rundir.Path(runDir, rundir.ProvisioningFile), append(b, '\n'), rundir.ModePublic, false); err != nil {
		return fmt.Errorf("writing provisioning record: %w", err)
	}
	return nil
}

// ReadProvisioning reads DIR/provisioning.json; a run rendered before it
// existed has none (an error wrapping os.ErrNotExist).
func ReadProvisioning(runDir string) (Provisioning, error) {
	path := rundir.Path(runDir, rundir.ProvisioningFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return Provisioning{}, fmt.Errorf("reading provisioning record: %w", err)
	}
	var p Provisioning
	if err := json.Unmarshal(b, &p); err != nil {
		return Provisioning{}, fmt.Errorf("reading provisioning record %s: %w", path, err)
	}
	if p.TrustFile != filepath.Base(p.TrustFile) || strings.HasPrefix(p.TrustFile, ".") {
		return Provisioning{}, fmt.Errorf("reading provisioning record %s: trustFile %.40q: expected a file name", path, p.TrustFile)
	}
	return p, nil
}
