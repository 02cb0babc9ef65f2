package migrate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cutover-dev/cutover/render"
	"github.com/cutover-dev/cutover/render/publish"
)

// RenderStep is the pipeline step that renders a device's configs into
// DIR/configs (0600, atomically, unchanged files left alone) from its
// device info, its inventory row and its SIP password.
func RenderStep(r *render.Renderer) ExtraStep {
	return ExtraStep{Step: StepRender, Run: func(_ context.Context, d *DeviceRun) error {
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
	return ExtraStep{Step: StepPublish, Run: func(ctx context.Context, d *DeviceRun) error {
		names, err := render.FileNames(d.Planned.Vendor, d.MAC())
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
