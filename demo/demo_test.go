package demo

import (
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/render"
	"github.com/cutover-dev/cutover/render/publish"
	"github.com/cutover-dev/cutover/reports"
	"github.com/cutover-dev/cutover/rundir"
	"github.com/cutover-dev/cutover/shard"
	"github.com/cutover-dev/cutover/simulator/device"
)

// TestDemoFixtureEndToEnd runs the whole job on the 60-device fixture and
// then checks that the run directory is an ordinary one: its files say what
// happened, and render, publish and report work on it afterwards.
func TestDemoFixtureEndToEnd(t *testing.T) {
	dir := t.TempDir()
	sum, err := Run(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Passed() {
		t.Fatalf("demo did not pass: %+v (failures %+v)", sum, sum.Migration.Failures)
	}
	if sum.Devices != 60 || sum.Migrated != 60 || sum.Certified != 60 {
		t.Errorf("devices %d, migrated %d, certified %d; want 60 each", sum.Devices, sum.Migrated, sum.Certified)
	}
	if want := 60 * len(certify.AllCases); sum.Cases != want {
		t.Errorf("%d case results, want %d (every case on every device)", sum.Cases, want)
	}
	// Webex (the emulator, fed by the SBCs' registrars) showed every device
	// connected while the certified fleet was registered, and the journal
	// holds each one's first-connected time; after the unregister case the
	// emulator shows them disconnected again.
	if sum.Watch == nil || !sum.Watch.AllConnected() || sum.Watch.Counts.Total != 60 || len(sum.Watch.FirstConnected) != 60 {
		t.Errorf("watch: %+v %v, want all 60 connected", sum.Watch, sum.WatchErr)
	}
	evs, err := rundir.ReadJournal(rundir.Path(dir, rundir.JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	for mac, st := range rundir.Replay(evs) {
		if st.FirstConnected.IsZero() {
			t.Errorf("%s: no first-connected time in the journal", mac)
		}
	}

	// Every migrated device has a published config that reads back as
	// TLS 1.2 to the demo's SRV domain, and the manifest lists it.
	plan, err := migrate.ReadPlan(dir)
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := os.ReadFile(filepath.Join(dir, render.ConfigsDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, pd := range plan.Devices {
		names, err := render.FileNames(pd.Vendor, pd.MAC)
		if err != nil {
			t.Fatal(err)
		}
		reg, err := render.ReadFile(filepath.Join(dir, render.ConfigsDir, names[0]))
		if err != nil {
			t.Fatalf("%s: %v", pd.MAC, err)
		}
		// TLS (or the DNS NAPTR/SRV records choosing it, Poly), SRV, TLS 1.2
		// as the floor unless the vendor documents none (AudioCodes 6.x).
		_, floorUnknown := reg.UnknownFor(render.SettingTLSMin)
		if reg.SRVDomain != SRVDomain || (reg.TLSMin != "1.2" && !floorUnknown) || (reg.Transport != "tls" && reg.Transport != "dns-naptr") {
			t.Errorf("%s (%s): srv %q tls %q transport %q", pd.MAC, names[0], reg.SRVDomain, reg.TLSMin, reg.Transport)
		}
		if !strings.Contains(string(manifest), `"`+names[0]+`"`) {
			t.Errorf("manifest does not list %s", names[0])
		}
	}

	// The live failover half-way shows in the results: every device passed
	// failover and failback.
	results, err := certify.ReadResults(filepath.Join(dir, "certify.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	passed, skipped := map[string]int{}, map[string]int{}
	for _, r := range results {
		switch r.Outcome {
		case certify.Pass:
			passed[r.Case]++
		case certify.Skip:
			skipped[r.Case]++
		}
	}
	for _, c := range []string{certify.CaseFailover, certify.CaseFailback, certify.CaseRegister} {
		if passed[c] != 60 {
			t.Errorf("case %s passed on %d devices, want 60", c, passed[c])
		}
	}
	// tls-version is skipped, never passed, where the vendor's documentation
	// leaves the config undecided (AudioCodes 6.x: TLS 1.2 on MP-11x).
	if passed[certify.CaseTLSVersion]+skipped[certify.CaseTLSVersion] != 60 || passed[certify.CaseTLSVersion] == 0 {
		t.Errorf("tls-version passed on %d and skipped on %d devices, want 60 together", passed[certify.CaseTLSVersion], skipped[certify.CaseTLSVersion])
	}
	for _, r := range results {
		if r.Case == certify.CaseTLSVersion && r.Make != "AudioCodes" && r.Outcome != certify.Pass {
			t.Errorf("%s %s tls-version %s: %s", r.Make, r.MAC, r.Outcome, r.Reason)
		}
	}

	// The lab CA is published beside the configs, and every vendor's chain
	// is certified, not skipped: those that download the CA by URL
	// (Yealink, AudioCodes), and Poly, whose SIP TLS profile trusts only the
	// slot holding it; a skip always says why.
	if !strings.Contains(string(manifest), `"`+CAFile+`"`) {
		t.Errorf("manifest does not list the CA %s", CAFile)
	}
	for _, r := range results {
		if r.Case == certify.CaseTLSChain && r.Outcome != certify.Pass {
			t.Errorf("%s %s tls-chain %s: %s", r.Make, r.MAC, r.Outcome, r.Reason)
		}
		if r.Outcome == certify.Skip && !strings.Contains(r.Reason, "not certifiable from the config") {
			t.Errorf("%s %s skipped without saying why: %q", r.MAC, r.Case, r.Reason)
		}
	}

	// Secrets stay out of everything but secrets.json and the configs.
	// The results are 0600 as with cutover certify (the demo wrote 0644).
	if st, err := os.Stat(filepath.Join(dir, "certify.jsonl")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("certify.jsonl: %v; want mode 0600", err)
	}
	st, err := os.Stat(filepath.Join(dir, "secrets.json"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("secrets.json: %v, mode %v; want 0600", err, st.Mode().Perm())
	}
	sec, err := migrate.OpenSecrets(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"journal.jsonl", "plan.json", "certify.jsonl", "report.html", "junit.xml"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, mac := range sec.MACs() {
			pw, _ := sec.Get(mac)
			if strings.Contains(string(b), pw) {
				t.Fatalf("%s holds the SIP password of %s", f, mac)
			}
		}
	}

	// The reports count what happened.
	d, err := reports.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Summary.Count(reports.StatusProvisioned); got != 60 {
		t.Errorf("report: %d provisioned, want 60", got)
	}
	if d.Summary.CertPassed != 60 || d.Summary.CasesFailed != 0 {
		t.Errorf("report: %d devices passed certification, %d cases failed", d.Summary.CertPassed, d.Summary.CasesFailed)
	}
	// The fleet failover time of the live outage, from the run directory
	// alone, is the one the demo reported, and every device got there.
	for _, p := range []struct{ got, sum certify.FleetPhase }{{d.FleetFailover, sum.Failover}, {d.FleetFailback, sum.Failback}} {
		if p.got.Devices != 60 || p.got.Never() != 0 || !p.got.Mark(100).Reached || p.got.Outages != 1 || fmt.Sprint(p.got) != fmt.Sprint(p.sum) {
			t.Errorf("fleet %s: report %+v, demo %+v; want 60 devices all there", p.got.Case, p.got, p.sum)
		}
	}
	if html, err := os.ReadFile(sum.Reports.HTML); err != nil || !strings.Contains(string(html), `id="chart-fleet"`) {
		t.Errorf("report.html has no fleet failover chart (%v)", err)
	}
	var junit struct {
		Suites []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
		} `xml:"testsuite"`
	}
	b, err := os.ReadFile(sum.Reports.JUnit)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(b, &junit); err != nil {
		t.Fatalf("junit.xml: %v", err)
	}
	if len(junit.Suites) != len(certify.AllCases)+1 {
		t.Errorf("junit.xml has %d suites, want one per case plus migration", len(junit.Suites))
	}

	// Afterwards, render and publish on the same directory change nothing.
	sec2, err := migrate.OpenSecrets(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The demo's renderer: its provisioning URL and lab CA.
	caPEM, err := os.ReadFile(filepath.Join(dir, CAFile))
	if err != nil {
		t.Fatal(err)
	}
	cas, err := device.ParseCertificates(caPEM)
	if err != nil || len(cas) != 1 {
		t.Fatalf("%s: %v", CAFile, err)
	}
	rend, err := render.New(render.WithProvisioningURL(DefaultProvisioningURL),
		render.WithTrustRoot(render.TrustRoot{Name: cas[0].Subject.CommonName, File: CAFile, PEM: string(caPEM)}))
	if err != nil {
		t.Fatal(err)
	}
	rr, err := render.RenderRun(context.Background(), dir, render.RunOptions{Secrets: sec2, Renderer: rend})
	if err != nil {
		t.Fatal(err)
	}
	if rr.Rendered != 0 || rr.Unchanged != 60 || len(rr.Failed) != 0 {
		t.Errorf("re-render: %+v, want 60 unchanged", rr)
	}
	target, err := publish.Open("dir://" + filepath.Join(dir, render.ConfigsDir))
	if err != nil {
		t.Fatal(err)
	}
	pr, err := publish.PublishDir(context.Background(), target, filepath.Join(dir, render.ConfigsDir))
	if err != nil {
		t.Fatal(err)
	}
	if pr.Written != 0 {
		t.Errorf("re-publish wrote %d files, want 0", pr.Written)
	}
}

// A second demo into the same directory starts afresh rather than resuming
// a journal whose devices lived in the previous demo's in-memory Webex.
func TestDemoRunsTwiceInOneDirectory(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		sum, err := Run(context.Background(), Options{Dir: dir, Devices: 12})
		if err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		if !sum.Passed() || sum.Devices != 12 {
			t.Fatalf("run %d: %+v", i+1, sum)
		}
	}
	events, err := migrate.ReadJournal(filepath.Join(dir, "journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	creates := 0
	for _, e := range events {
		if e.Step == migrate.StepCreate && e.Status == migrate.StatusDone {
			creates++
		}
	}
	if creates != 12 {
		t.Errorf("journal holds %d done creates, want 12 (one demo's)", creates)
	}
}

// TestDemoShardsCoverTheFleetOnce runs the demo's 60-device fixture as two
// shards, each in its own directory with its own lab, as BenchmarkDemo100k
// does where one process cannot hold the whole fleet's connections: each
// shard migrates, certifies and watches only its own devices, the two
// together are the fixture once, and their directories merge into one
// report with both shards' outages in the fleet figures.
func TestDemoShardsCoverTheFleetOnce(t *testing.T) {
	root := t.TempDir()
	const n = 2
	seen := map[string]int{}
	var dirs []string
	for k := range n {
		dir := filepath.Join(root, fmt.Sprintf("shard-%d", k))
		dirs = append(dirs, dir)
		sh := shard.Spec{K: k, N: n}
		sum, err := Run(context.Background(), Options{Dir: dir, Shard: sh})
		if err != nil {
			t.Fatalf("shard %s: %v", sh, err)
		}
		if !sum.Passed() {
			t.Fatalf("shard %s did not pass: %+v", sh, sum)
		}
		if sum.Devices == 0 || sum.Devices == 60 || sum.Certified != sum.Devices || sum.Watch.Counts.Total != sum.Devices {
			t.Errorf("shard %s: %d devices, %d certified, %d watched; want a part of the 60, each certified and watched", sh, sum.Devices, sum.Certified, sum.Watch.Counts.Total)
		}
		plan, err := migrate.ReadPlan(dir)
		if err != nil {
			t.Fatal(err)
		}
		if plan.Shard != sh.String() {
			t.Errorf("%s: plan records shard %q, want %q", dir, plan.Shard, sh)
		}
		for _, pd := range plan.Devices {
			if !sh.Has(pd.MAC) {
				t.Errorf("shard %s planned %s, which belongs to shard %d", sh, pd.MAC, shard.Index(pd.MAC, n))
			}
			seen[pd.MAC]++
		}
	}
	if len(seen) != 60 {
		t.Errorf("the shards planned %d distinct devices, want the fixture's 60", len(seen))
	}
	for mac, c := range seen {
		if c != 1 {
			t.Errorf("%s planned by %d shards", mac, c)
		}
	}
	d, err := reports.LoadRuns(dirs)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Devices) != 60 || d.Summary.Planned != 60 || d.Summary.Certified != 60 {
		t.Errorf("merged report: %d devices (%d planned, %d certified), want 60", len(d.Devices), d.Summary.Planned, d.Summary.Certified)
	}
	for _, ph := range []certify.FleetPhase{d.FleetFailover, d.FleetFailback} {
		if ph.Devices != 60 || ph.Outages != n || len(ph.MS) != 60 {
			t.Errorf("merged %s: %d devices, %d reached, %d outages; want 60, 60 and %d", ph.Case, ph.Devices, len(ph.MS), ph.Outages, n)
		}
	}
}
