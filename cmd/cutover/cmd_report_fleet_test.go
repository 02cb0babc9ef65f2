package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/certify"
)

// TestReportSaysTheFleetFailoverTime: cutover report --run DIR says the
// fleet's failover time from DIR/certify.jsonl alone; a device that never
// reached the secondary leaves 100% not reached.
func TestReportSaysTheFleetFailoverTime(t *testing.T) {
	dir := t.TempDir()
	down := time.Date(2026, 12, 2, 22, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, r := range []certify.Result{
		{MAC: "0004F2A1B2C3", Case: certify.CaseFailover, Outcome: certify.Pass, Started: down, Outage: down, Timings: map[string]float64{"failover": 1500}},
		{MAC: "0004F2A1B2C4", Case: certify.CaseFailover, Outcome: certify.Fail, Started: down, Outage: down,
			Reason: "failover: 32.0 s after the primary sbc1.example.test:5061 went down, no secondary accepted"},
	} {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "certify.jsonl"), b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"cutover", "report", "--run", dir}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	first, _, _ := strings.Cut(out.String(), "\n")
	if want := "fleet failover of 2 devices: 50% 1.50 s, 95% not reached, 100% not reached (1 never)"; first != want {
		t.Errorf("first line %q, want %q", first, want)
	}
}
