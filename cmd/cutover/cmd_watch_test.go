package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/simulator/webexapi"
	"github.com/cutover-dev/cutover/watch"
	"github.com/cutover-dev/cutover/webex"
)

// watch exits 1 naming the devices not connected at the deadline, then 0
// once the emulator has seen every device register; the journal's first
// connected times reach the reports.
func TestWatchCommand(t *testing.T) {
	e := newMigrateEnv(t, 5)
	var out, errb bytes.Buffer
	if code := run(t.Context(), e.args("migrate", e.inv, "--run", e.dir), &out, &errb); code != 0 {
		t.Fatalf("migrate exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	watchArgs := func(extra ...string) []string {
		a := []string{"cutover", "--webex-url", e.url, "--token", e.emu.AdminToken(), "watch", "--run", e.dir, "--rate", "100"}
		return append(a, extra...)
	}
	out.Reset()
	errb.Reset()
	code := run(t.Context(), watchArgs("--interval", "100ms", "--deadline", "300ms"), &out, &errb)
	if code != exitFailed || !strings.Contains(out.String(), "5 of 5 devices not connected (5 never seen") {
		t.Fatalf("watch before any registration: exit %d, want 1\n%s\n%s", code, out.String(), errb.String())
	}
	for _, d := range e.emu.Snapshot().Devices {
		e.emu.ObserveRegistration(webexapi.Registration{Registrar: "sbc1", User: d.SIPUserName, AOR: "sip:" + d.LinePort,
			Contact: "sip:" + d.MAC + "@192.0.2.1", Expires: time.Now().Add(time.Hour)})
	}
	out.Reset()
	errb.Reset()
	code = run(t.Context(), watchArgs("--device-type", "phone"), &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "all 5 devices connected in Webex (5 new this watch") {
		t.Fatalf("watch after registration: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if strings.Contains(out.String()+errb.String(), e.emu.AdminToken()) {
		t.Fatal("the token was printed")
	}
	// The connected events leave the run finished in migrate's eyes.
	out.Reset()
	if code := run(t.Context(), e.args("migrate", e.inv, "--run", e.dir, "--dry-run"), &out, &errb); code != 0 ||
		!strings.Contains(out.String(), "all 5 devices already done") {
		t.Fatalf("migrate --dry-run after watch: exit %d\n%s\n%s", code, out.String(), errb.String())
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--deadline", "tomorrow"}, exitUsage, "--deadline"},
		{[]string{"--interval", "0s"}, exitUsage, "--interval"},
		{[]string{"--device-type", "desk"}, exitUsage, "--device-type"},
	} {
		out.Reset()
		errb.Reset()
		if code := run(t.Context(), watchArgs(tc.args...), &out, &errb); code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("watch %v: exit %d, want %d mentioning %s\n%s", tc.args, code, tc.code, tc.want, errb.String())
		}
	}
	out.Reset()
	errb.Reset()
	empty := t.TempDir()
	code = run(t.Context(), []string{"cutover", "--webex-url", e.url, "--token", e.emu.AdminToken(), "watch", "--run", empty}, &out, &errb)
	if code != exitUsage || !strings.Contains(errb.String(), "no device of the run is in Webex") {
		t.Errorf("watch of an empty directory: exit %d\n%s", code, errb.String())
	}
}

func TestParseDeadline(t *testing.T) {
	now := time.Date(2026, 12, 2, 23, 30, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2h":                   now.Add(2 * time.Hour),
		"2026-12-03T06:00:00Z": time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC),
		"06:00":                time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC), // after midnight
		"23:45":                time.Date(2026, 12, 2, 23, 45, 0, 0, time.UTC),
	} {
		got, err := parseDeadline(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseDeadline(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1h", "0s", "25:00", "soon"} {
		if _, err := parseDeadline(in, now); err == nil {
			t.Errorf("parseDeadline(%q) accepted", in)
		}
	}
}

type fixedStats struct{ st webex.Stats }

func (f fixedStats) Stats() webex.Stats { return f.st }

// Without a terminal, watch prints the status line the README shows.
func TestWatchStatusLine(t *testing.T) {
	d := &watchDisplay{stats: fixedStats{webex.Stats{Requests: 0, Retries: 2, RateLimited: 1}}, rate: 5, start: time.Now()}
	if got := d.statusLine(); !strings.HasPrefix(got, "watch: first poll, 0 req/s of 5, 2 retries, 1 429s, poll 0") {
		t.Errorf("before a poll: %q", got)
	}
	var c watch.Counts
	c.Total = 2000
	c.ByState = [6]int{812, 0, 3, 50, 1135, 0}
	d.Poll(c)
	want := "watch: 812/2000 connected, 3 activating, 50 disconnected, 1135 never seen, 0 req/s of 5, 2 retries, 1 429s, poll 1"
	if got := d.statusLine(); !strings.HasPrefix(got, want) {
		t.Errorf("status line\n got %q\nwant %q...", got, want)
	}
}

// TestWatchShard: a shard's watch follows the shard's own run directory at
// its share of --rate, and refuses a directory of another split.
func TestWatchShard(t *testing.T) {
	e := newMigrateEnv(t, 8)
	var out, errb bytes.Buffer
	if code := run(t.Context(), e.args("migrate", e.inv, "--run", e.dir, "--shard", "1/2"), &out, &errb); code != 0 {
		t.Fatalf("migrate --shard 1/2: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	plan, err := migrate.ReadPlan(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	n := len(plan.Devices)
	if n == 0 || n == 8 {
		t.Fatalf("shard 1/2 of 8 devices planned %d", n)
	}
	for _, d := range e.emu.Snapshot().Devices {
		e.emu.ObserveRegistration(webexapi.Registration{Registrar: "sbc1", User: d.SIPUserName, AOR: "sip:" + d.LinePort,
			Contact: "sip:" + d.MAC + "@192.0.2.1", Expires: time.Now().Add(time.Hour)})
	}
	watchArgs := func(extra ...string) []string {
		a := []string{"cutover", "--webex-url", e.url, "--token", e.emu.AdminToken(), "watch", "--run", e.dir, "--rate", "100"}
		return append(a, extra...)
	}
	out.Reset()
	errb.Reset()
	if code := run(t.Context(), watchArgs("--shard", "1/2"), &out, &errb); code != 0 ||
		!strings.Contains(out.String(), fmt.Sprintf("all %d devices connected in Webex", n)) {
		t.Fatalf("watch --shard 1/2: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	for _, args := range [][]string{{"--shard", "0/2"}, {"--shard", "1/3"}, nil} {
		out.Reset()
		errb.Reset()
		if code := run(t.Context(), watchArgs(args...), &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "shard 1/2") {
			t.Errorf("watch %v of shard 1/2's directory: exit %d, want %d naming shard 1/2\n%s", args, code, exitUsage, errb.String())
		}
	}
}
