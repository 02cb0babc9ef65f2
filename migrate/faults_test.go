package migrate

import (
	"bytes"
	"testing"

	"golang.org/x/time/rate"

	"github.com/cutover-dev/cutover/fixtures"
	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/simulator/webexapi"
	"github.com/cutover-dev/cutover/webex"
)

func generated(tb testing.TB, n int, seed int64) []inventory.Device {
	tb.Helper()
	var buf bytes.Buffer
	if err := fixtures.Generate(&buf, n, seed); err != nil {
		tb.Fatal(err)
	}
	inv, err := inventory.ReadFrom(&buf, "generated.xlsx", inventory.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	if !inv.Valid() || len(inv.Devices) != n {
		tb.Fatalf("generated inventory: %d devices, %d problems", len(inv.Devices), len(inv.Problems))
	}
	return inv.Devices
}

// TestMigrateUnderFaults: 5xx on a fifth of the requests, dropped
// connections, a rate limit far below what the client first tries (429
// storms), and creates that are stored but answered 502. Every device must
// end up provisioned exactly once; the emulator's snapshot is the judge.
func TestMigrateUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("500 devices under faults")
	}
	devs := generated(t, 500, 42)
	org := newTestOrg(t, devs, nil,
		webex.WithRate(rate.Limit(2000), 100),
		webex.WithBackoff(5_000_000, 100_000_000), // 5 ms to 100 ms
	)
	faults, err := webexapi.ParseFaults("error=0.2,drop=0.02,rate=1000,burst=20,commit-then-fail=0.15")
	if err != nil {
		t.Fatal(err)
	}
	org.emu.SetFaults(faults)
	dir := t.TempDir()
	_, res, err := Migrate(testContext(t), org.client, devs, PlanOptions{}, RunOptions{Dir: dir, Jobs: 32})
	if err != nil {
		t.Fatal(err)
	}
	st := org.emu.Snapshot()
	t.Logf("result %+v; requests %d by status %v by fault %v; client %+v", *res, st.Requests.Total,
		st.Requests.ByStatus, st.Requests.ByFault, org.client.Stats())
	if res.Failed != 0 || !res.OK() {
		t.Fatalf("failures under faults: %+v", res.Failures)
	}
	if st.Requests.ByFault["commit-then-fail"] == 0 || st.Requests.ByFault["rate"] == 0 || st.Requests.ByFault["error"] == 0 {
		t.Fatalf("the faults did not fire: %v", st.Requests.ByFault)
	}
	if st.Counts.Devices != 500 {
		t.Fatalf("%d devices in Webex, want 500", st.Counts.Devices)
	}
	org.emu.SetFaults(webexapi.Faults{})
	checkProvisioned(t, org, dir, devs)
}
