package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/cutover-dev/cutover/macaddr"
	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/watch"
	"github.com/cutover-dev/cutover/webex"
)

func init() { register(newWatchCommand) }

const (
	flagInterval   = "interval"
	flagDeadline   = "deadline"
	flagDeviceType = "device-type"
)

// watchMaxPendingShown bounds the not-connected devices listed at the end.
const watchMaxPendingShown = 20

type watchOptions struct {
	runFlags
	interval   time.Duration
	deadline   time.Time
	deviceType string
}

func newWatchCommand() *cli.Command {
	return &cli.Command{
		Name:      "watch",
		Usage:     "follow a run's devices in Webex until every one is connected, or a deadline passes",
		UsageText: "cutover watch --run DIR [--interval 15s] [--deadline 2h|2026-12-03T06:00:00Z|06:00] [--rate R] [--only MACS] [--shard K/N] [--device-type phone]",
		Description: "Polls Webex's own view of the run's devices (GET /devices, every page of the org, at most --rate\n" +
			"requests a second) every --interval, and shows how many are connected, activating, disconnected\n" +
			"and never seen. The first time each device shows connected goes into DIR/journal.jsonl, and the\n" +
			"reports, rewritten at the end, show it. Exit 0 when every device is connected, 1 when the\n" +
			"deadline passed first (the devices not connected are listed), 2 on bad usage or a directory\n" +
			"without migrated devices, 3 when Webex cannot be read or the directory is in use, 130 on Ctrl-C.\n" +
			"With --shard K/N (the shard's own --run DIR, as migrate --shard made it) the shard's devices are\n" +
			"watched at --rate/N, so N shards watching at once stay inside the org's rate.\n\n" +
			"Example:\n   cutover watch --run wave1 --deadline 06:00 --token $WEBEX_TOKEN",
		Flags: []cli.Flag{runDirFlag(), onlyFlag(), rateFlag(), shardFlag(),
			&cli.DurationFlag{Name: flagInterval, Value: watch.DefaultInterval, Usage: "time `D` between the starts of two polls"},
			&cli.StringFlag{Name: flagDeadline, Value: watch.DefaultTimeout.String(),
				Usage: "give up after `D` (a duration), at an RFC 3339 time, or at HH:MM (local time, the next such)"},
			&cli.StringFlag{Name: flagDeviceType, Usage: "list only devices of Webex product `TYPE` (" + strings.Join(webex.DeviceTypes, ", ") +
				"): fewer pages in an org with many other devices"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return usageErrorf("watch takes no arguments, got %q", c.Args().Slice())
			}
			only, err := parseMACList(c.String(flagOnly))
			if err != nil {
				return err
			}
			sh, err := parseShard(c)
			if err != nil {
				return err
			}
			rateOpts, err := parseRate(c, sh)
			if err != nil {
				return err
			}
			o := watchOptions{runFlags: runFlags{dir: c.String(flagRun), only: only, rate: rateOpts, shard: sh, rateLimit: sh.Share(c.Float64(flagRate))},
				interval: c.Duration(flagInterval)}
			if o.interval <= 0 {
				return usageErrorf("--%s %s: expected a positive duration", flagInterval, o.interval)
			}
			if o.deadline, err = parseDeadline(c.String(flagDeadline), time.Now()); err != nil {
				return err
			}
			if o.deviceType = c.String(flagDeviceType); o.deviceType != "" && !slices.Contains(webex.DeviceTypes, o.deviceType) {
				return usageErrorf("--%s %q: expected one of %s", flagDeviceType, o.deviceType, strings.Join(webex.DeviceTypes, ", "))
			}
			return runWatch(c, o)
		},
	}
}

// parseDeadline reads --deadline: a duration from now, an RFC 3339 time, or
// a local HH:MM (today, or tomorrow when it has passed: a cutover night
// crosses midnight).
func parseDeadline(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if hm, err := time.ParseInLocation("15:04", s, now.Location()); err == nil {
		t := time.Date(now.Year(), now.Month(), now.Day(), hm.Hour(), hm.Minute(), 0, 0, now.Location())
		if !t.After(now) {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	return time.Time{}, usageErrorf("--%s %q: expected a positive duration (2h), an RFC 3339 time (2026-12-03T06:00:00Z) or HH:MM", flagDeadline, s)
}

func runWatch(c *cli.Context, o watchOptions) error {
	// A shard watches its own run directory: one planned for another
	// shard (or for the whole inventory) is refused before any request.
	if err := migrate.CheckShard(o.dir, o.shard); err != nil {
		return withCode(exitUsage, fmt.Errorf("--%s: %w", flagShard, err))
	}
	client, err := newWebexClient(c, o.rate...)
	if err != nil {
		return err
	}
	include := func(mac string) bool {
		return o.shard.Has(mac) && (len(o.only) == 0 || slices.Contains(o.only, mac))
	}
	disp := newWatchDisplay(c, client, o.rateLimit)
	res, err := watch.Run(c.Context, client, watch.Options{
		Dir: o.dir, Include: include, Interval: o.interval, Deadline: o.deadline, Query: webex.DeviceQuery{Type: o.deviceType},
		Progress: disp.progress(), Logger: logger(c),
	})
	disp.close()
	w := c.App.Writer
	if res != nil && res.Counts.Total > 0 {
		printWatchResult(w, res)
	}
	switch {
	case errors.Is(err, watch.ErrNoDevices):
		return withCode(exitUsage, fmt.Errorf("%w (has --run %s been migrated?)", err, o.dir))
	case errors.Is(err, watch.ErrDeadline):
		if rerr := writeRunReports(c, o.dir); rerr != nil {
			return rerr
		}
		return fmt.Errorf("%w: %w", err, errSomeFailed)
	case err != nil:
		return withCode(exitFatal, err)
	}
	return writeRunReports(c, o.dir)
}

// printWatchResult says how the fleet ended, and lists the first devices not
// connected.
func printWatchResult(w io.Writer, res *watch.Result) {
	if res.AllConnected() {
		fmt.Fprintf(w, "watch: all %d devices connected in Webex (%d new this watch; %s, %s)\n",
			res.Counts.Total, len(res.FirstConnected), plural(res.Polls, "poll"), res.Elapsed.Round(time.Second))
	} else {
		fmt.Fprintf(w, "watch: %d of %d devices not connected (%s; %s, %s)\n",
			res.Counts.NotConnected(), res.Counts.Total, watchFigures(res.Counts, false), plural(res.Polls, "poll"), res.Elapsed.Round(time.Second))
		for i, p := range res.NotConnected {
			if i == watchMaxPendingShown {
				fmt.Fprintf(w, "  ... and %d more (see the reports)\n", len(res.NotConnected)-i)
				break
			}
			status := p.Status
			if status == "" {
				status = "not in Webex"
			}
			fmt.Fprintf(w, "  %s %s (%s)\n", macaddr.MAC(p.MAC).Colons(), p.Bucket, terminalSafe(status))
		}
	}
	if res.Unmigrated > 0 {
		fmt.Fprintf(w, "watch: %d devices of the run have no Webex device (not migrated) and were not watched\n", res.Unmigrated)
	}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// watchFigures reads "812 connected, 3 activating, 50 disconnected, 1135
// never seen" (every bucket with devices; with all, zero ones too).
func watchFigures(c watch.Counts, all bool) string {
	var parts []string
	for _, b := range watch.Buckets() {
		if n := c.Of(b); n > 0 || (all && b != watch.Issues && b != watch.Missing) {
			parts = append(parts, fmt.Sprintf("%d %s", n, b))
		}
	}
	return strings.Join(parts, ", ")
}

// watchDisplay shows watch's progress: on a terminal, one bar per state
// (connected, activating, disconnected, never seen) out of the fleet, with
// the request figures; otherwise a status line every statusEvery, e.g.
//
//	watch: 812/2000 connected, 3 activating, 50 disconnected, 1135 never seen, poll 4, 2 req/s of 10, 0 retries, 0 429s, elapsed 1m10s
//
// A nil *watchDisplay (--quiet) shows nothing.
type watchDisplay struct {
	out   io.Writer
	stats statsSource
	rate  float64
	start time.Time

	mu     sync.Mutex
	counts watch.Counts
	polls  int
	meter  rateMeter

	p    *mpb.Progress
	bars map[watch.Bucket]*mpb.Bar

	tick  *time.Ticker
	lines *statusLines
}

func newWatchDisplay(c *cli.Context, stats statsSource, rate float64) *watchDisplay {
	if c.Bool(flagQuiet) {
		return nil
	}
	d := &watchDisplay{out: c.App.Writer, stats: stats, rate: rate, start: time.Now()}
	d.meter.update(d.start, stats.Stats().Requests)
	if isTerminal(c.App.Writer) {
		d.p = mpb.New(mpb.WithOutput(d.out), mpb.WithRefreshRate(200*time.Millisecond))
		return d
	}
	d.tick = time.NewTicker(statusEvery)
	d.lines = startStatusLines(d.out, d.tick.C, d.statusLine)
	return d
}

func (d *watchDisplay) progress() watch.Progress {
	if d == nil {
		return nil
	}
	return d
}

// Poll records a poll's counts and moves the bars.
func (d *watchDisplay) Poll(c watch.Counts) {
	d.mu.Lock()
	d.counts = c
	d.polls++
	d.mu.Unlock()
	if d.p == nil {
		return
	}
	if d.bars == nil {
		d.bars = map[watch.Bucket]*mpb.Bar{}
		for _, b := range []watch.Bucket{watch.Connected, watch.Activating, watch.Disconnected, watch.NeverSeen} {
			var extra []decor.Decorator
			if b == watch.Connected {
				extra = append(extra, decor.Any(func(decor.Statistics) string { return "  " + d.requestFigures() }))
			}
			d.bars[b] = d.p.AddBar(int64(c.Total),
				mpb.PrependDecorators(decor.Name(fmt.Sprintf("%-13s", b.String()))),
				mpb.AppendDecorators(append([]decor.Decorator{decor.CountersNoUnit("%d / %d")}, extra...)...))
		}
	}
	for b, bar := range d.bars {
		n := int64(c.Of(b))
		if b == watch.Disconnected {
			// Issues and missing are not connected either; they show there.
			n += int64(c.Of(watch.Issues) + c.Of(watch.Missing))
		}
		bar.SetCurrent(n)
	}
}

func (d *watchDisplay) requestFigures() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.stats.Stats()
	r := fmt.Sprintf("%.0f req/s", d.meter.update(time.Now(), st.Requests))
	if d.rate > 0 {
		r += fmt.Sprintf(" of %g", d.rate)
	}
	return fmt.Sprintf("%s, %d retries, %d 429s, poll %d, %s", r, st.Retries, st.RateLimited, d.polls, time.Since(d.start).Round(time.Second))
}

func (d *watchDisplay) statusLine() string {
	d.mu.Lock()
	c, polls := d.counts, d.polls
	d.mu.Unlock()
	if polls == 0 {
		return "watch: first poll, " + d.requestFigures()
	}
	return fmt.Sprintf("watch: %d/%d connected, %s, %s", c.Of(watch.Connected), c.Total,
		strings.TrimPrefix(watchFigures(c, true), fmt.Sprintf("%d connected, ", c.Of(watch.Connected))), d.requestFigures())
}

// close stops the display: bars end where they stand.
func (d *watchDisplay) close() {
	if d == nil {
		return
	}
	if d.tick != nil {
		d.tick.Stop()
		d.lines.end()
	}
	if d.p != nil {
		for _, b := range d.bars {
			b.Abort(false)
		}
		d.p.Wait()
	}
}
