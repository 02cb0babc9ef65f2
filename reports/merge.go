package reports

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/shard"
)

// ErrMerging wraps every reason LoadRuns refuses to merge run directories:
// a device in two of them, shards of different splits, a shard twice.
var ErrMerging = errors.New("merging runs")

// LoadRuns reads several run directories, typically the shards of one split
// (migrate --shard K/N, each with its own directory), and builds one report
// model over all their devices, as if one run had done the work: devices,
// outcomes, counts and causes are those of the union. Each directory is read
// by the same reader as Load. With one directory it is Load.
//
// The directories must not share a device (the shards of one split never
// do: two shards holding a MAC means the inventory was split twice, or one
// directory was given twice), and sharded directories must be shards of
// one split: the same N, each K once, none mixed with an unsharded run.
// Those errors wrap ErrMerging and name the directories; a directory
// without run data wraps ErrNoRunData. Shards of the split that are missing
// are no error (a report while some are still running): Shards says which
// are there.
func LoadRuns(dirs []string, opts ...Option) (*Data, error) {
	if len(dirs) == 1 {
		return Load(dirs[0], opts...)
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("%w: no run directory given", ErrMerging)
	}
	cfg := newConfig(opts)
	runs := make([]runInputs, 0, len(dirs))
	for _, dir := range dirs {
		in, err := readRun(dir)
		if err != nil {
			return nil, err
		}
		runs = append(runs, in)
	}
	if _, err := checkShards(runs); err != nil {
		return nil, err
	}
	if err := checkDisjoint(runs); err != nil {
		return nil, err
	}
	plan, events, results := mergeInputs(runs)
	d := Build(plan, events, results, cfg.now())
	names := make([]string, len(dirs))
	for i, dir := range dirs {
		names[i] = runName(dir)
	}
	d.Run = mergedName(names)
	return d, nil
}

// mergedName names a merged run by its directories: all of them when
// there are a few, else the first and the last and how many.
func mergedName(names []string) string {
	if len(names) <= 4 {
		return strings.Join(names, " + ")
	}
	return fmt.Sprintf("%s + … + %s (%d runs)", names[0], names[len(names)-1], len(names))
}

// Shards describes the shards of a split that the run directories hold,
// for a merged report's caller to say which are there and which missing.
type Shards struct {
	N       int   // the split's number of shards; 0 when the runs are not sharded
	Present []int // the Ks present, ascending
}

// Missing returns the Ks of the split that no directory holds.
func (s Shards) Missing() []int {
	var out []int
	for k := range s.N {
		if !slices.Contains(s.Present, k) {
			out = append(out, k)
		}
	}
	return out
}

// ShardsOf reads the shard each directory's plan records and checks they
// are shards of one split (as LoadRuns does).
func ShardsOf(dirs []string) (Shards, error) {
	runs := make([]runInputs, 0, len(dirs))
	for _, dir := range dirs {
		in := runInputs{dir: dir}
		if p, err := migrate.ReadPlan(dir); err == nil {
			in.plan = p
		}
		runs = append(runs, in)
	}
	return checkShards(runs)
}

func checkShards(runs []runInputs) (Shards, error) {
	var (
		sh       Shards
		firstDir string
		owner    = map[int]string{}
		plain    []string // directories of no shard
	)
	for _, r := range runs {
		spec := ""
		if r.plan != nil {
			spec = r.plan.Shard
		}
		if spec == "" {
			plain = append(plain, r.dir)
			continue
		}
		s, err := shard.Parse(spec)
		if err != nil {
			return sh, fmt.Errorf("%w: %s: plan.json: %w", ErrMerging, r.dir, err)
		}
		if sh.N == 0 {
			sh.N, firstDir = s.N, r.dir
		} else if s.N != sh.N {
			return sh, fmt.Errorf("%w: %s is shard %s but %s is a shard of %d: shards of different splits do not make one fleet",
				ErrMerging, r.dir, s, firstDir, sh.N)
		}
		if o, ok := owner[s.K]; ok {
			return sh, fmt.Errorf("%w: %s and %s are both shard %s", ErrMerging, o, r.dir, s)
		}
		owner[s.K] = r.dir
		sh.Present = append(sh.Present, s.K)
		for _, d := range r.plan.Devices {
			if !s.Has(d.MAC) {
				return sh, fmt.Errorf("%w: %s: plan.json of shard %s holds %s, which belongs to shard %d/%d",
					ErrMerging, r.dir, s, d.MAC, shard.Index(d.MAC, s.N), s.N)
			}
		}
	}
	if sh.N > 0 && len(plain) > 0 {
		return sh, fmt.Errorf("%w: %s is a shard of a %d-way split but %s planned no shard (made without --shard)",
			ErrMerging, firstDir, sh.N, plain[0])
	}
	slices.Sort(sh.Present)
	return sh, nil
}

// checkDisjoint refuses a device that two directories hold, in their plan,
// journal or certification results.
func checkDisjoint(runs []runInputs) error {
	where := map[string]int{}
	var dups []string
	first := ""
	for i, r := range runs {
		seen := map[string]bool{}
		add := func(mac string) {
			if mac == "" || seen[mac] {
				return
			}
			seen[mac] = true
			if j, ok := where[mac]; ok {
				if len(dups) == 0 {
					first = fmt.Sprintf("%s is in both %s and %s", mac, runs[j].dir, r.dir)
				}
				dups = append(dups, mac)
				return
			}
			where[mac] = i
		}
		if r.plan != nil {
			for _, p := range r.plan.Devices {
				add(p.MAC)
			}
		}
		for _, e := range r.events {
			add(e.MAC)
		}
		for _, res := range r.results {
			add(res.MAC)
		}
	}
	if len(dups) == 0 {
		return nil
	}
	more := ""
	if len(dups) > 1 {
		more = fmt.Sprintf(" (and %d more devices)", len(dups)-1)
	}
	return fmt.Errorf("%w: %s%s: each device must come from one run directory (was a directory given twice, or the inventory split twice?)",
		ErrMerging, first, more)
}

// mergeInputs concatenates the runs' inputs in the order given. Since no
// device is in two runs, each device's events keep their file order, which
// is all the replay needs. It empties the runs' events and results, which
// it has copied.
func mergeInputs(runs []runInputs) (*migrate.Plan, []migrate.Event, []certify.Result) {
	var (
		plan    *migrate.Plan
		events  []migrate.Event
		results []certify.Result
		orgs    = map[string]bool{}
		invs    = map[string]bool{}
	)
	// The merged slices are made at their final size, and each run's own
	// are dropped once copied: appended in turn they grew a quarter at a
	// time, and at 100,000 devices the discarded arrays and the runs' slices
	// made the merge's peak heap half as large again as one run's.
	var nev, nres int
	for _, r := range runs {
		nev, nres = nev+len(r.events), nres+len(r.results)
	}
	events, results = make([]migrate.Event, 0, nev), make([]certify.Result, 0, nres)
	for i := range runs {
		r := &runs[i]
		events = append(events, r.events...)
		results = append(results, r.results...)
		r.events, r.results = nil, nil
		if r.plan == nil {
			continue
		}
		if plan == nil {
			plan = &migrate.Plan{Created: r.plan.Created, Summary: map[migrate.Action]int{}}
		}
		plan.Devices = append(plan.Devices, r.plan.Devices...)
		for a, n := range r.plan.Summary {
			plan.Summary[a] += n
		}
		if r.plan.Created.Before(plan.Created) {
			plan.Created = r.plan.Created
		}
		orgs[r.plan.OrgID], invs[r.plan.Inventory] = true, true
	}
	if plan != nil {
		plan.OrgID = only(orgs)
		plan.Inventory = only(invs)
	}
	return plan, events, results
}

// only returns the one key of set, or "" when it has several.
func only(set map[string]bool) string {
	if len(set) != 1 {
		return ""
	}
	for k := range set {
		return k
	}
	return ""
}
