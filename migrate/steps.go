package migrate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/cutover-dev/cutover/render"
	"github.com/cutover-dev/cutover/render/publish"
)

// RenderStep is the pipeline step that renders a device's configs into
// DIR/configs (0600, atomically, unchanged files left alone) from its
// device info, its inventory row and its SIP password.
func RenderStep(r *render.Renderer) ExtraStep {
	var trust once
	return ExtraStep{Step: StepRender, Run: func(_ context.Context, d *DeviceRun) error {
		// The CA the configs point at goes beside them, once per run.
		if err := trust.do(func() error { return r.WriteTrust(d.Dir) }); err != nil {
			return err
		}
		dev, err := d.renderDevice()
		if err != nil {
			return err
		}
		_, _, err = r.WriteDevice(filepath.Join(d.Dir, render.ConfigsDir), dev)
		return err
	}}
}

// renderDevice gathers what the templates of a migrated device see.
func (d *DeviceRun) renderDevice() (render.Device, error) {
	info, err := d.Info()
	if err != nil {
		return render.Device{}, err
	}
	pw, ok := d.Password()
	if !ok {
		return render.Device{}, errors.New("no SIP password in the run's secrets")
	}
	dev := render.Device{Info: *info, Make: d.Planned.Make, Model: d.Planned.Model, Vendor: d.Planned.Vendor, Password: pw}
	if d.Device != nil {
		dev.Vars, dev.Template = d.Device.Vars, d.Device.Template
	}
	return dev, nil
}

// PublishStep is the pipeline step that publishes a device's rendered
// configs (read back from DIR/configs) through b. Devices are batched so
// that a directory target rewrites its manifest a few times a second, not
// once per device; the caller closes b after the run.
func PublishStep(b *publish.Batcher) ExtraStep {
	var trust once
	return ExtraStep{Step: StepPublish, Run: func(ctx context.Context, d *DeviceRun) error {
		names, err := render.FileNames(d.Planned.Vendor, d.MAC())
		if err != nil {
			return err
		}
		// The trusted CA the render step put beside the configs is
		// published once per run, before the first config that names it.
		err = trust.do(func() error {
			p, err := render.ReadProvisioning(d.Dir)
			if errors.Is(err, os.ErrNotExist) {
				return nil // rendered by a version that published no CA
			}
			if err != nil {
				return err
			}
			data, err := os.ReadFile(filepath.Join(d.Dir, render.ConfigsDir, p.TrustFile))
			if err != nil {
				return fmt.Errorf("publishing the trusted CA: %w", err)
			}
			if err := b.Publish(ctx, []render.File{{Name: p.TrustFile, Data: data}}); err != nil {
				return fmt.Errorf("publishing the trusted CA: %w", err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		files := make([]render.File, 0, len(names))
		for _, n := range names {
			data, err := os.ReadFile(filepath.Join(d.Dir, render.ConfigsDir, n))
			if err != nil {
				return fmt.Errorf("publishing: %w", err)
			}
			files = append(files, render.File{Name: n, Data: data})
		}
		return b.Publish(ctx, files)
	}}
}

// once runs fn until it first succeeds: a failure (a disk full, a target
// down) is tried again by the next device rather than remembered.
type once struct {
	mu   sync.Mutex
	done bool
}

func (o *once) do(fn func() error) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done {
		return nil
	}
	if err := fn(); err != nil {
		return err
	}
	o.done = true
	return nil
}
