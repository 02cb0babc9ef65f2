package certify

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/render"
	"github.com/cutover-dev/cutover/simulator/device"
)

// ConfigFromRegistration builds a simulated device's config from what the
// render readers recovered from a published config: the first line
// registers. mac, make and model come from the plan or inventory; when make
// and model are empty they are taken from the config's User-Agent.
func ConfigFromRegistration(reg *render.Registration, mac, make, model string) (device.Config, error) {
	if reg == nil {
		return device.Config{}, errors.New("building device config: no registration")
	}
	if len(reg.Lines) == 0 {
		return device.Config{}, fmt.Errorf("building device config for %s: the config registers no line", mac)
	}
	l := reg.Lines[0]
	if make == "" && model == "" && reg.UserAgent != "" {
		make, model, _ = strings.Cut(reg.UserAgent, " ")
	}
	cfg := device.Config{
		MAC: mac, Make: make, Model: model,
		User: l.User, Domain: l.Domain, AuthUser: l.AuthUser, Password: l.Password, DisplayName: l.DisplayName,
		SRVDomain: reg.SRVDomain,
		Expires:   time.Duration(reg.Expires) * time.Second,
		// What the firmware does with the connection. An undocumented
		// value (empty) gets Webex's requirement here; the cases never
		// count it as a pass (Registration.Unknowns).
		Transport: reg.Transport,
		TLSMin:    tlsVersion(reg.TLSMin),
		TLSMax:    tlsVersion(reg.TLSMax),
		NoVerify:  !reg.Verify && !hasUnknown(reg, render.SettingVerify),
		DNS:       reg.DNS,
	}
	// The failback timer is judged from the config (a real timer of
	// minutes would make the live failback case wait that long); the lab
	// probes at Options.FailbackInterval.
	for _, p := range reg.Proxies {
		if reg.Port > 0 && !strings.Contains(p, ":") {
			p = fmt.Sprintf("%s:%d", p, reg.Port)
		}
		cfg.Proxies = append(cfg.Proxies, p)
	}
	return cfg, nil
}

func hasUnknown(reg *render.Registration, k string) bool {
	_, ok := reg.UnknownFor(k)
	return ok
}

// tlsVersion maps "1.0" to "1.3" to crypto/tls; anything else is 0 (the
// simulator's default, TLS 1.2).
func tlsVersion(v string) uint16 {
	switch v {
	case "1.0":
		return tls.VersionTLS10
	case "1.1":
		return tls.VersionTLS11
	case "1.2":
		return tls.VersionTLS12
	case "1.3":
		return tls.VersionTLS13
	}
	return 0
}

// FromRunDir reads the devices of a migration run directory as the phones
// will see them: for every device the plan migrates (create, adopt, update),
// the config published under DIR/configs/ read back by the render readers,
// with make and model from DIR/plan.json. A migrated device whose config is
// missing or unreadable is a target that fails every case with the reason
// (LoadErr): one device never stops the run.
func FromRunDir(dir string) ([]Target, error) {
	// The plan is read through render, which renders the same devices;
	// certify does not import migrate, which drives the migration.
	planned, err := render.ReadPlanDevices(dir)
	if err != nil {
		return nil, fmt.Errorf("reading run %s: %w", dir, err)
	}
	// Where the configs are served, for the CA URLs they name; a run
	// rendered before the record existed has none.
	prov, err := render.ReadProvisioning(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading run %s: %w", dir, err)
	}
	configs := filepath.Join(dir, render.ConfigsDir)
	var out []Target
	for _, pd := range planned {
		if !pd.Migrated() {
			continue
		}
		t := Target{MAC: pd.MAC, Make: pd.Make, Model: pd.Model, ConfigsDir: configs, Provisioning: prov}
		names, err := render.FileNames(pd.Vendor, pd.MAC)
		if err != nil {
			t.LoadErr = err
			out = append(out, t)
			continue
		}
		path := filepath.Join(dir, render.ConfigsDir, names[0])
		t.Source = filepath.Join(render.ConfigsDir, names[0])
		reg, err := render.ReadFile(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			t.LoadErr = fmt.Errorf("no config published at %s (run cutover migrate or cutover render)", path)
		case err != nil:
			t.LoadErr = err
		default:
			if len(names) > 1 {
				t.Source = filepath.Join(render.ConfigsDir, names[len(names)-1]) // where the settings are
			}
			t.Registration = reg
			if reg.TrustURL != "" {
				// The CA the device would download is the published file
				// (tls-chain fails the config when it is not there).
				if _, certs, err := publishedTrust(t); err == nil {
					reg.TrustCerts = certs
				}
			}
			t.Config, t.LoadErr = ConfigFromRegistration(reg, pd.MAC, pd.Make, pd.Model)
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("reading run %s: the plan migrates no device", dir)
	}
	return out, nil
}

// FromInventory reads a lab inventory (mac, make, model, sip_user,
// sip_password, domain) for a certification dry run without migration. Any
// problem in the file is an error listing every problem at its cell.
func FromInventory(path string) ([]Target, error) {
	inv, err := inventory.Read(path, inventory.Options{Lab: true})
	if err != nil {
		return nil, err
	}
	if len(inv.Problems) > 0 {
		lines := make([]string, 0, len(inv.Problems))
		for _, p := range inv.Problems {
			lines = append(lines, p.String())
		}
		return nil, fmt.Errorf("reading lab inventory %s: %d problem(s):\n%s", path, len(inv.Problems), strings.Join(lines, "\n"))
	}
	out := make([]Target, 0, len(inv.Devices))
	for _, d := range inv.Devices {
		out = append(out, Target{MAC: d.MAC, Make: d.Make, Model: d.Model, Config: device.Config{
			MAC: d.MAC, Make: d.Make, Model: d.Model,
			User: d.SIPUser, AuthUser: d.SIPUser, Domain: d.Domain, Password: d.SIPPassword,
			SRVDomain: d.Domain,
		}})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("reading lab inventory %s: no device", path)
	}
	return out, nil
}
