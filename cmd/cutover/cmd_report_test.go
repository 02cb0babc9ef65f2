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
	"github.com/cutover-dev/cutover/migrate"
)

// writeReportRun writes a small run directory: two devices planned, one
// provisioned and certified, one failed at create.
func writeReportRun(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	plan := migrate.Plan{Devices: []migrate.PlannedDevice{
		{MAC: "0004F2A1B2C3", Make: "Yealink", Model: "T54W", Action: migrate.ActionCreate, Lines: 1},
		{MAC: "0004F2A1B2C4", Make: "Poly", Model: "VVX 450", Action: migrate.ActionCreate, Lines: 2},
	}}
	b, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plan.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	var lines []string
	add := func(v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
	}
	for _, s := range []migrate.Step{migrate.StepCreate, migrate.StepPassword, migrate.StepMembers, migrate.StepApply, migrate.StepInfo, migrate.StepRender, migrate.StepPublish} {
		add(migrate.Event{TS: ts, MAC: "0004F2A1B2C3", Step: s, Status: migrate.StatusDone, Attempt: 1, DurationMS: 120})
	}
	add(migrate.Event{TS: ts, MAC: "0004F2A1B2C4", Step: migrate.StepCreate, Status: migrate.StatusFailed, Attempt: 1,
		Detail: "creating device 0004F2A1B2C4: POST /devices: 409 MAC address is in use"})
	if err := os.WriteFile(filepath.Join(dir, "journal.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lines = nil
	add(certify.Result{MAC: "0004F2A1B2C3", Case: certify.CaseRegister, Outcome: certify.Pass, Started: ts, DurationMS: 80})
	if err := os.WriteFile(filepath.Join(dir, "certify.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestReportWritesTheThreeReports(t *testing.T) {
	dir := writeReportRun(t)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"cutover", "report", "--run", dir}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	for _, f := range []string{"report.html", "report.xlsx", "junit.xml"} {
		p := filepath.Join(dir, f)
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
		if !strings.Contains(out.String(), "wrote "+p) {
			t.Errorf("output does not say where %s went:\n%s", f, out.String())
		}
	}
	if !strings.HasPrefix(out.String(), "Not ready: ") || !strings.Contains(out.String(), "causes to fix") && !strings.Contains(out.String(), "cause to fix") {
		t.Errorf("report does not print the verdict and the causes:\n%s", out.String())
	}
	h, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	if !strings.Contains(string(h), `data-count="failed">1<`) || !strings.Contains(string(h), "Release the MAC") {
		t.Error("the HTML report does not show the failed device and its remedy")
	}
}

func TestReportWritesWhereAsked(t *testing.T) {
	dir, out := writeReportRun(t), t.TempDir()
	html, junit := filepath.Join(out, "r.html"), filepath.Join(out, "ci", "junit.xml")
	var o, e bytes.Buffer
	// Flags after the command and in any order.
	code := run(context.Background(), []string{"cutover", "report", "--junit", junit, "--run", dir, "--html=" + html}, &o, &e)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, e.String())
	}
	for _, p := range []string{html, junit, filepath.Join(dir, "report.xlsx")} {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "report.html")); err == nil {
		t.Error("report.html written to the default place too")
	}
}

func TestReportBadInput(t *testing.T) {
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "journal.jsonl"), []byte("{\"mac\":\"A\"}\nnot json\n{\"mac\":\"B\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"empty dir":          {[]string{"report", "--run", t.TempDir()}, "no plan, journal or certification results"},
		"missing dir":        {[]string{"report", "--run", filepath.Join(t.TempDir(), "nope")}, "no plan"},
		"malformed journal":  {[]string{"report", "--run", bad}, "line 2"},
		"no --run":           {[]string{"report"}, "run"},
		"two runs, no --out": {[]string{"report", "--run", bad, "extra"}, "needs --out DIR"},
		"out is a run":       {[]string{"report", "--run", bad, "--run", "x", "--out", bad}, "directory of their own"},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), append([]string{"cutover"}, c.args...), &out, &errb)
			if code != exitUsage || !strings.Contains(errb.String(), c.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errb.String(), exitUsage, c.want)
			}
		})
	}
}

func TestReportUnwritableTargetIsFatal(t *testing.T) {
	dir := writeReportRun(t)
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"cutover", "report", "--run", dir, "--html", filepath.Join(blocker, "r.html")}, &out, &errb)
	if code != exitFatal || !strings.Contains(errb.String(), "writing reports") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}
