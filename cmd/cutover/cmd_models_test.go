package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cutover-dev/cutover/migrate"
)

// `cutover plan` against `cutover emulate webex` with a read-only token:
// validateMacs is forbidden (it needs telephony_config_write), the plan
// looks the MACs up instead; migrate with the same token is refused.
// `cutover models` maps the inventory live, then offline from the run
// directory's cached catalog.
func TestPlanReadOnlyTokenAndModels(t *testing.T) {
	tmp := t.TempDir()
	inv := filepath.Join(tmp, "inventory.csv")
	if err := os.WriteFile(inv, []byte(emulateWebexInventory), 0o600); err != nil {
		t.Fatal(err)
	}
	base, _, stop := startWebexEmulator(t, "--token", "lab-admin-token", "--read-token", "lab-read-token", "--inventory", inv)
	defer stop()
	dir := filepath.Join(tmp, "run")
	ro := func(cmd ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(t.Context(), append([]string{"cutover", "--webex-url", base, "--token", "lab-read-token"}, cmd...), &out, &errb)
		return code, out.String(), errb.String()
	}
	code, out, errs := ro("plan", inv, "--run", dir)
	if code != 0 || !strings.Contains(out, "create          2") {
		t.Fatalf("read-only plan: exit %d\n%s\n%s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, migrate.CatalogFile)); err != nil {
		t.Errorf("the plan cached no catalog: %v", err)
	}
	if code, out, errs = ro("migrate", inv, "--run", dir); code == 0 || !strings.Contains(out+errs, "403") {
		t.Errorf("migrate with a read-only token: exit %d\n%s\n%s", code, out, errs)
	}

	code, out, errs = ro("models", inv)
	if code != 0 || !strings.Contains(out, "Yealink T57W") || !strings.Contains(out, "Yealink T57W Partner Managed") ||
		!strings.Contains(out, "AudioCodes MP-118 Partner Managed") || !strings.Contains(out, "Generic IPPhone Customer Managed") {
		t.Fatalf("models: exit %d\n%s\n%s", code, out, errs)
	}
	// Offline, from the cached catalog: no Webex call (a bad URL proves it).
	var o2, e2 bytes.Buffer
	code = run(t.Context(), []string{"cutover", "--webex-url", "http://127.0.0.1:1/v1", "models", inv, "--run", dir}, &o2, &e2)
	if code != 0 || !strings.Contains(o2.String(), "AudioCodes MP-118 Partner Managed") {
		t.Fatalf("offline models: exit %d\n%s\n%s", code, o2.String(), e2.String())
	}

	// A model the catalog cannot match: exit 2, the cell, the closest entries.
	bad := strings.Replace(emulateWebexInventory, "Yealink,T57W", "Generic,SIP Phone", 1)
	if err := os.WriteFile(inv, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs = ro("models", inv)
	if code != exitUsage || !strings.Contains(out, "Generic SIP Phone") || !strings.Contains(out, "inventory.csv::2:D") ||
		!strings.Contains(out, `closest: "Generic IPPhone Customer Managed"`) {
		t.Fatalf("unmatched model: exit %d\n%s\n%s", code, out, errs)
	}
	// webex_model fixes it.
	fixed := strings.Replace(bad, "sip_password\n", "sip_password,webex_model\n", 1)
	fixed = strings.Replace(fixed, "Zq-Secret-77\n", "Zq-Secret-77,Generic IPPhone Customer Managed\n", 1)
	fixed = strings.Replace(fixed, "Gw-Secret-88\n", "Gw-Secret-88,\n", 1)
	if err := os.WriteFile(inv, []byte(fixed), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs = ro("models", inv); code != 0 || !strings.Contains(out, "every inventory model maps") {
		t.Fatalf("with webex_model: exit %d\n%s\n%s", code, out, errs)
	}
}
