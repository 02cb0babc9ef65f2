package migrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cutover-dev/cutover/macaddr"
	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/rundir"
	"github.com/cutover-dev/cutover/shard"
	"github.com/cutover-dev/cutover/webex"
)

// Catalog maps an inventory make and model to cutover's knowledge of it
// (template family, line limit, an optional pinned Webex model);
// *inventory.Catalog satisfies it. The Webex model itself comes from the
// org's live supported-devices list (WebexCatalog).
type Catalog interface {
	Lookup(make, model string) (inventory.Model, bool)
}

// PlanOptions tunes MakePlan.
type PlanOptions struct {
	// Catalog maps make/model to Webex models; nil means the embedded default.
	Catalog Catalog
	// Jobs bounds the lookups in flight (default 8).
	Jobs int
	// Only restricts the plan to these MACs (any notation); empty means all.
	Only []string
	// Wave labels the run. When the inventory has a "wave" column, only the
	// devices of that wave are planned.
	Wave string
	// Shard restricts the plan to one shard of the inventory (by MAC, see
	// package shard) and is recorded in the plan; the zero Spec means all.
	Shard shard.Spec
	// Source names the inventory in the plan (its path).
	Source string
	// OrgID is recorded in the plan (the client adds it to calls).
	OrgID  string
	Now    func() time.Time
	Logger *slog.Logger
	// Ready, when set, is called by Migrate with the plan before it runs
	// (the CLI prints the plan's summary there).
	Ready func(*Plan)
	// Progress receives the planning phases; nil reports nowhere. Migrate
	// uses RunOptions.Progress when it is also a PlanProgress.
	Progress PlanProgress
}

// MakePlan resolves every device of devs against Webex without changing anything
// and decides an Action for each: owners (people by e-mail, workspaces by
// name), line owners and locations are looked up once each; make/model (or
// the webex_model column) is matched against the org's supported devices
// (S1, see WebexCatalog), whose entry must serve the owner type, onboard by
// MAC and hold the device's lines; workspaces must have Webex Calling and
// take phones; MACs are validated (M1; with a read-only token, which M1
// refuses, each MAC is looked up with D2 instead) and every MAC in use is
// looked up (D2) to tell adopt and update (same owner and model) from
// conflict.
//
// A lookup that fails for one device makes that device invalid with the
// reason; MakePlan returns an error only when the context ends or an error is
// fatal (webex.IsFatal: the token or a scope was refused).
func MakePlan(ctx context.Context, api API, devs []inventory.Device, opts PlanOptions) (*Plan, error) {
	p := &planner{api: api, opts: opts, log: opts.Logger}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.opts.Jobs <= 0 {
		p.opts.Jobs = 8
	}
	if p.opts.Now == nil {
		p.opts.Now = time.Now
	}
	if p.opts.Catalog == nil {
		p.opts.Catalog = defaultCatalog()
	}
	if p.opts.Progress == nil {
		p.opts.Progress = nopProgress{}
	}
	return p.plan(ctx, selectDevices(devs, opts.Only, opts.Wave, opts.Shard))
}

// selectDevices keeps the devices named by only (all when empty), when
// the inventory has a wave column those of wave, and those of the shard.
func selectDevices(devs []inventory.Device, only []string, wave string, sh shard.Spec) []inventory.Device {
	keep := map[string]bool{}
	for _, m := range only {
		keep[NormalizeMAC(m)] = true
	}
	hasWave := false
	if wave != "" {
		for i := range devs {
			if _, ok := devs[i].Vars["wave"]; ok {
				hasWave = true
				break
			}
		}
	}
	out := make([]inventory.Device, 0, len(devs))
	for _, d := range devs {
		if len(keep) > 0 && !keep[d.MAC] {
			continue
		}
		if hasWave && !strings.EqualFold(strings.TrimSpace(d.Vars["wave"]), wave) {
			continue
		}
		if !sh.Has(d.MAC) {
			continue
		}
		out = append(out, d)
	}
	return out
}

// NormalizeMAC returns s in canonical form by the module's one MAC rule
// (macaddr.Parse). It is used on MACs Webex returns, which are valid; one
// that is not comes back trimmed and upper-cased, so that it matches no
// device.
func NormalizeMAC(s string) string {
	if m, err := macaddr.Parse(s); err == nil {
		return string(m)
	}
	return strings.ToUpper(strings.TrimSpace(s))
}

type planner struct {
	api  API
	opts PlanOptions
	log  *slog.Logger

	catalog   *WebexCatalog
	people    memo[*webex.Person]
	spaces    memo[*webex.Workspace]
	locations memo[*webex.Location]
}

// owner is a resolved person or workspace.
type owner struct {
	id         string
	locationID string
	extension  string
	memberType string
	// workspace only: calling type and the devices it takes.
	calling, supports string
}

// takesPhones says why a device cannot be created for o, or "": Webex puts
// phones only into workspaces with Webex Calling whose supportedDevices is
// phones (collaborationDevices, Webex's default, refuses them).
func (o owner) takesPhones() string {
	if o.memberType != webex.MemberPlace {
		return ""
	}
	if o.calling != webex.CallingWebex {
		return fmt.Sprintf("workspace has calling type %q; phones need %q", o.calling, webex.CallingWebex)
	}
	if o.supports != webex.WorkspaceTakesPhones {
		return fmt.Sprintf("workspace supports %q; phones need supportedDevices %q", o.supports, webex.WorkspaceTakesPhones)
	}
	return ""
}

func (p *planner) plan(ctx context.Context, devs []inventory.Device) (*Plan, error) {
	// Four independent reads go out at once, because against a slow API
	// (Webex answers in 100-300 ms) their round trips, not the rate limit,
	// would otherwise set the planning time: the supported models (S1), the
	// people listing (pages in sequence), the MACs (M1, batches of 100
	// validated concurrently) and, once S1 tells which devices can be
	// planned, the workspaces and locations they name (cached for resolve).
	vctx, cancel := context.WithCancel(ctx)
	defer cancel()
	validated := make(chan []validation, 1)
	go func() { validated <- p.validate(vctx, devs) }()
	pre, pctx := errgroup.WithContext(ctx)
	pre.Go(func() error { return p.prefetchPeople(pctx, devs) })
	pre.Go(func() error {
		sup, err := p.api.SupportedDevices(pctx)
		if err != nil {
			return fmt.Errorf("planning: listing supported devices: %w", err)
		}
		p.catalog = NewWebexCatalog(sup)
		p.warm(pctx, devs)
		return nil
	})
	if err := pre.Wait(); err != nil {
		cancel()
		<-validated
		return nil, err
	}
	plan := &Plan{
		Created: p.opts.Now().UTC(), Inventory: p.opts.Source, OrgID: p.opts.OrgID, Shard: p.opts.Shard.String(),
		Devices: make([]PlannedDevice, len(devs)), Summary: map[Action]int{}, Catalog: p.catalog,
	}
	// Resolve owners, lines, locations and models.
	prog := p.opts.Progress
	prog.PlanPhase(PhaseResolve, len(devs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.opts.Jobs)
	for i := range devs {
		g.Go(func() error {
			pd, err := p.resolve(gctx, &devs[i])
			plan.Devices[i] = pd
			prog.PlanDone(PhaseResolve)
			return err
		})
	}
	gerr := g.Wait()
	vs := <-validated
	if gerr != nil {
		return nil, gerr
	}
	state := map[string]webex.MACStatus{}
	failed := map[string]error{}
	for i := range vs {
		if v := &vs[i]; errors.Is(v.err, webex.ErrForbidden) {
			// validateMacs needs spark-admin:telephony_config_write even
			// though it changes nothing: a read-only token (plan) looks the
			// MACs up instead.
			v.st, v.err = p.lookupMACs(ctx, v.macs)
		}
	}
	for _, v := range vs {
		if v.err != nil {
			if fatal(ctx, v.err) {
				return nil, fmt.Errorf("planning: validating MACs: %w", v.err)
			}
			for _, m := range v.macs {
				failed[NormalizeMAC(m)] = v.err
			}
			continue
		}
		for _, s := range v.st {
			state[NormalizeMAC(s.MAC)] = s
		}
	}
	for i := range plan.Devices {
		if err := failed[plan.Devices[i].MAC]; err != nil && plan.Devices[i].Action == "" {
			plan.Devices[i].invalid("validating MAC: %v", err)
		}
	}
	// Decide; look up every MAC in use.
	inUse := 0
	for i := range plan.Devices {
		if s, ok := state[plan.Devices[i].MAC]; ok && plan.Devices[i].Action == "" && s.State == webex.MACUnavailable {
			inUse++
		}
	}
	prog.PlanPhase(PhaseLookup, inUse)
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(p.opts.Jobs)
	for i := range plan.Devices {
		pd := &plan.Devices[i]
		if pd.Action != "" {
			continue
		}
		s, ok := state[pd.MAC]
		switch {
		case !ok:
			pd.invalid("validating MAC: Webex did not report its state")
		case s.State == webex.MACAvailable:
			pd.Action = ActionCreate
		case s.State == webex.MACUnavailable:
			g.Go(func() error {
				defer prog.PlanDone(PhaseLookup)
				return p.existing(gctx, pd, s)
			})
		default:
			pd.invalid("MAC %s: %s%s", pd.MAC, s.State, suffix(s.Message))
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, pd := range plan.Devices {
		plan.Summary[pd.Action]++
	}
	return plan, nil
}

// validateChunk is the most MACs one M1 call takes.
const validateChunk = 100

// validation is the answer to one M1 call.
type validation struct {
	macs []string
	st   []webex.MACStatus
	err  error
}

// validate checks every MAC of devs with M1, in concurrent calls of
// validateChunk MACs (at most opts.Jobs at once).
func (p *planner) validate(ctx context.Context, devs []inventory.Device) []validation {
	out := make([]validation, (len(devs)+validateChunk-1)/validateChunk)
	var g errgroup.Group
	g.SetLimit(p.opts.Jobs)
	for k := range out {
		chunk := devs[k*validateChunk : min((k+1)*validateChunk, len(devs))]
		macs := make([]string, len(chunk))
		for i := range chunk {
			macs[i] = chunk[i].MAC
		}
		out[k].macs = macs
		g.Go(func() error {
			out[k].st, out[k].err = p.api.ValidateMACs(ctx, macs)
			return nil
		})
	}
	_ = g.Wait()
	return out
}

// lookupMACs stands in for M1 when the token may not call it: each MAC is
// looked up with D2 (spark-admin:devices_read); a MAC found is reported
// UNAVAILABLE (in use; existing then tells adopt from conflict), one not
// found AVAILABLE. A MAC held in another org is invisible to D2, so such a
// device shows as create and its create fails at migrate time (with M1's
// scope, the plan reports it as a conflict).
func (p *planner) lookupMACs(ctx context.Context, macs []string) ([]webex.MACStatus, error) {
	out := make([]webex.MACStatus, len(macs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.opts.Jobs)
	for i, mac := range macs {
		g.Go(func() error {
			found, err := p.api.ListDevices(gctx, webex.DeviceQuery{MAC: mac})
			if err != nil {
				return fmt.Errorf("looking up MAC %s (validateMacs was forbidden): %w", mac, err)
			}
			out[i] = webex.MACStatus{MAC: mac, State: webex.MACAvailable}
			for _, d := range found {
				if NormalizeMAC(d.MAC) == NormalizeMAC(mac) {
					out[i].State, out[i].Message = webex.MACUnavailable, "in use (found by MAC lookup)"
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// warm looks up, through the caches resolve reads, the workspaces and
// locations named by the devices whose model can be planned, so that they
// are fetched while the people are listed. It reports nothing: resolve
// meets the same answers (errors included) in the caches.
func (p *planner) warm(ctx context.Context, devs []inventory.Device) {
	spaces, locs := map[string]string{}, map[string]string{}
	for i := range devs {
		d := &devs[i]
		if _, ok := p.webexModel(d); !ok {
			continue
		}
		if d.OwnerType == inventory.Workspace {
			spaces[strings.ToLower(d.Owner)] = d.Owner
		}
		for _, l := range d.Lines {
			if l.OwnerType == inventory.Workspace {
				spaces[strings.ToLower(l.Owner)] = l.Owner
			}
		}
		if d.Location != "" {
			locs[strings.ToLower(d.Location)] = d.Location
		}
	}
	var g errgroup.Group
	g.SetLimit(p.opts.Jobs)
	for _, name := range spaces {
		g.Go(func() error { _, _ = p.owner(ctx, name, inventory.Workspace); return nil })
	}
	for _, name := range locs {
		g.Go(func() error { _, _ = p.location(ctx, name); return nil })
	}
	_ = g.Wait()
}

func suffix(msg string) string {
	if msg == "" {
		return ""
	}
	return " (" + msg + ")"
}

// fatal says whether err must stop the batch.
func fatal(ctx context.Context, err error) bool {
	return webex.IsFatal(err) || ctx.Err() != nil || errors.Is(err, ErrJournal)
}

func (pd *PlannedDevice) invalid(format string, a ...any) {
	pd.Action = ActionInvalid
	pd.Reason = fmt.Sprintf(format, a...)
}

// invalidAt is invalid located at the cell the reason is about (the owner,
// the location, the model), not the row's MAC.
func (pd *PlannedDevice) invalidAt(pos inventory.Pos, format string, a ...any) {
	pd.invalid(format, a...)
	pd.Pos = pos
}

// cell is the located cell c, or the row's MAC cell when the device was not
// read from a file (c unset).
func cell(c, row inventory.Pos) inventory.Pos {
	if c.Row > 0 {
		return c
	}
	return row
}

// resolve fills everything Plan knows about d without its MAC state. The
// returned device has no Action yet unless it is invalid.
func (p *planner) resolve(ctx context.Context, d *inventory.Device) (PlannedDevice, error) {
	pd := PlannedDevice{
		MAC: d.MAC, Type: d.Type, Make: d.Make, Model: d.Model, Owner: d.Owner,
		OwnerType: d.OwnerType, Location: d.Location, Lines: len(d.Lines), Pos: d.Pos, Wave: p.opts.Wave,
	}
	m, ok := p.opts.Catalog.Lookup(d.Make, d.Model)
	if !ok {
		pd.invalidAt(cell(d.ModelCell, d.Pos), "model %s %s: not in the model catalog", d.Make, d.Model)
		return pd, nil
	}
	pd.Vendor = m.Vendor
	match, _ := p.webexModel(d)
	if !match.Found {
		// The error points at the cell that named the model.
		if d.ModelCell.Row > 0 {
			pd.Pos = d.ModelCell
		}
		switch {
		case len(match.Ambiguous) > 0:
			pd.invalid("model %s %s matches several Webex models: %s; name one in the webex_model column",
				d.Make, d.Model, names(match.Ambiguous))
		case d.WebexModel != "":
			pd.invalid("webex_model %q is not in the org's supported devices (closest: %s)", d.WebexModel, names(match.Closest))
		default:
			pd.invalid("model %s %s matches no Webex model in the org's supported devices (closest: %s); name one in the webex_model column",
				d.Make, d.Model, names(match.Closest))
		}
		return pd, nil
	}
	sd := match.Device
	pd.WebexModel = sd.Model
	if why := eligible(sd, d.OwnerType); why != "" {
		pd.invalid("%s", why)
		return pd, nil
	}
	lines := max(len(d.Lines), 1)
	limit := d.Type.MaxLines()
	if sd.NumberOfLinePorts > 0 && sd.NumberOfLinePorts < limit {
		limit = sd.NumberOfLinePorts
	}
	if m.MaxLines > 0 && m.MaxLines < limit {
		limit = m.MaxLines
	}
	if lines > limit {
		pd.invalid("%d lines: model %s takes at most %d", lines, m.WebexModel, limit)
		return pd, nil
	}
	pd.ApplyChanges = sd.SupportsApplyChangesEnabled

	o, err := p.owner(ctx, d.Owner, d.OwnerType)
	if err != nil {
		if fatal(ctx, err) {
			return pd, fmt.Errorf("planning %s: %w", d.MAC, err)
		}
		pd.invalidAt(cell(d.OwnerCell, d.Pos), "owner %s: %v", d.Owner, err)
		return pd, nil
	}
	if why := o.takesPhones(); why != "" {
		if d.OwnerCell.Row > 0 {
			pd.Pos = d.OwnerCell
		}
		pd.invalid("owner %s: %s", d.Owner, why)
		return pd, nil
	}
	pd.OwnerID, pd.OwnerExtension = o.id, o.extension
	pd.LocationID = o.locationID
	if d.Location != "" {
		loc, err := p.location(ctx, d.Location)
		if err != nil {
			if fatal(ctx, err) {
				return pd, fmt.Errorf("planning %s: %w", d.MAC, err)
			}
			pd.invalidAt(cell(d.LocationCell, d.Pos), "location %s: %v", d.Location, err)
			return pd, nil
		}
		pd.LocationID = loc.ID
	}
	if pd.LocationID == "" {
		pd.invalidAt(cell(d.OwnerCell, d.Pos), "owner %s: has no location and the inventory names none", d.Owner)
		return pd, nil
	}

	// Members: the owner's own line first (PRIMARY, primary owner), then
	// every further appearance or port as the inventory orders it.
	members := make([]webex.MemberPut, 0, lines)
	if len(d.Lines) == 0 {
		mp := webex.MemberPut{Port: 1, ID: o.id, PrimaryOwner: true, LineType: webex.LinePrimary, LineWeight: 1, AllowCallDeclineEnabled: true}
		if sd.Type == "ATA" {
			mp.T38FaxCompressionEnabled = new(false)
		}
		members = append(members, mp)
	}
	for i, l := range d.Lines {
		lo := o
		if i > 0 || !sameOwner(l.Owner, d.Owner) {
			lo, err = p.owner(ctx, l.Owner, l.OwnerType)
			if err != nil {
				if fatal(ctx, err) {
					return pd, fmt.Errorf("planning %s: %w", d.MAC, err)
				}
				pd.invalidAt(l.Pos, "line %d owner %s: %v", l.Port, l.Owner, err)
				return pd, nil
			}
		}
		port := l.Port
		if port <= 0 {
			port = i + 1
		}
		// Call decline stays allowed, as Webex sets it for a new device's owner.
		mp := webex.MemberPut{Port: port, ID: lo.id, PrimaryOwner: i == 0, LineType: webex.LinePrimary, LineWeight: 1, AllowCallDeclineEnabled: true}
		if sd.Type == "ATA" {
			// Gateway ports carry the T.38 flag (the spec: ATA devices
			// only); off, so the owner's own fax setting applies.
			mp.T38FaxCompressionEnabled = new(false)
		}
		if l.Shared {
			mp.LineType = webex.LineShared
		}
		if l.Label != "" && sd.CustomizableLineLabelEnabled {
			mp.LineLabel = l.Label
		}
		members = append(members, mp)
	}
	pd.Members = members
	return pd, nil
}

// webexModel matches d to the org's catalog: the webex_model column, else
// a model pinned by cutover's catalog, else make and model by name. ok is
// whether it matched.
func (p *planner) webexModel(d *inventory.Device) (ModelMatch, bool) {
	override := d.WebexModel
	if override == "" {
		if m, ok := p.opts.Catalog.Lookup(d.Make, d.Model); ok {
			override = m.WebexModel
		}
	}
	mm := p.catalog.Match(d.Make, d.Model, override)
	return mm, mm.Found
}

func sameOwner(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// PeopleDirectory is an optional part of the API: when the API has it and an
// inventory names many people, MakePlan reads the org's directory (1,000
// people a page, without calling data) until it has seen every e-mail the
// inventory names, and fetches the calling data of those people by ID, 85 a
// call, while the next page loads. For 1,000 people that is two round trips
// where listing them with calling data (100 a page, one page after the
// other) takes ten, and a plan is bound by those round trips, not the rate.
type PeopleDirectory interface {
	ListDirectoryPages(ctx context.Context, fn func([]webex.Person) bool) error
	GetPeopleByID(ctx context.Context, ids []string) ([]webex.Person, error)
}

// prefetchThreshold is how many distinct people make reading the directory
// cheaper than one lookup each.
const prefetchThreshold = 200

// prefetchPeople fills the people cache from the directory. Anyone it does
// not find (or every one, when the directory cannot be read) is still
// looked up by e-mail when resolved.
func (p *planner) prefetchPeople(ctx context.Context, devs []inventory.Device) error {
	dir, ok := p.api.(PeopleDirectory)
	if !ok {
		return nil
	}
	wanted := map[string]bool{}
	for i := range devs {
		if devs[i].OwnerType != inventory.Workspace {
			wanted[strings.ToLower(devs[i].Owner)] = true
		}
		for _, l := range devs[i].Lines {
			if l.OwnerType != inventory.Workspace {
				wanted[strings.ToLower(l.Owner)] = true
			}
		}
	}
	if len(wanted) < prefetchThreshold {
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.opts.Jobs + 1) // the listing, and the ID calls beside it
	byID := func(ids []string) {
		g.Go(func() error {
			people, err := dir.GetPeopleByID(gctx, ids)
			if err != nil {
				if fatal(gctx, err) {
					return fmt.Errorf("planning: reading people by ID: %w", err)
				}
				p.log.WarnContext(gctx, "reading people by ID failed; looking them up by e-mail", "people", len(ids), "error", err.Error())
				return nil
			}
			for i := range people {
				pe := &people[i]
				for _, e := range pe.Emails {
					if k := strings.ToLower(e); wanted[k] {
						_, _ = p.people.get(gctx, k, func(context.Context) (*webex.Person, error) { return pe, nil })
					}
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		seen, added := map[string]bool{}, map[string]bool{}
		var ids []string
		err := dir.ListDirectoryPages(gctx, func(page []webex.Person) bool {
			for _, pe := range page {
				for _, e := range pe.Emails {
					// An e-mail two people share is resolved by the first.
					if k := strings.ToLower(e); wanted[k] && !seen[k] {
						seen[k] = true
						if !added[pe.ID] {
							added[pe.ID] = true
							ids = append(ids, pe.ID)
						}
					}
				}
				if len(ids) >= webex.MaxPeopleIDs {
					byID(ids[:webex.MaxPeopleIDs])
					ids = ids[webex.MaxPeopleIDs:]
				}
			}
			return len(seen) < len(wanted)
		})
		for len(ids) > 0 {
			n := min(len(ids), webex.MaxPeopleIDs)
			byID(ids[:n])
			ids = ids[n:]
		}
		if err != nil {
			if fatal(gctx, err) {
				return fmt.Errorf("planning: listing people: %w", err)
			}
			p.log.WarnContext(gctx, "listing people failed; looking each owner up", "error", err.Error())
		}
		return nil
	})
	return g.Wait()
}

// errNoMatch is a lookup that found nothing.
var errNoMatch = errors.New("not found in Webex")

func (p *planner) owner(ctx context.Context, name string, typ inventory.OwnerType) (owner, error) {
	if typ == inventory.Workspace {
		w, err := p.spaces.get(ctx, strings.ToLower(name), func(ctx context.Context) (*webex.Workspace, error) {
			items, err := p.api.FindWorkspaces(ctx, name)
			if err != nil {
				return nil, fmt.Errorf("looking up workspace: %w", err)
			}
			var found []webex.Workspace
			for _, w := range items {
				if strings.EqualFold(w.DisplayName, name) {
					found = append(found, w)
				}
			}
			switch len(found) {
			case 0:
				return nil, fmt.Errorf("workspace %w", errNoMatch)
			case 1:
				return &found[0], nil
			}
			return nil, fmt.Errorf("%d workspaces carry this name", len(found))
		})
		if err != nil {
			return owner{}, err
		}
		o := owner{id: w.ID, locationID: w.LocationID, memberType: webex.MemberPlace, supports: w.SupportedDevices}
		if w.Calling != nil {
			o.calling = w.Calling.Type
		}
		return o, nil
	}
	pe, err := p.people.get(ctx, strings.ToLower(name), func(ctx context.Context) (*webex.Person, error) {
		items, err := p.api.FindPeopleByEmail(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("looking up person: %w", err)
		}
		for _, pe := range items {
			for _, e := range pe.Emails {
				if strings.EqualFold(e, name) {
					return &pe, nil
				}
			}
		}
		return nil, fmt.Errorf("person %w", errNoMatch)
	})
	if err != nil {
		return owner{}, err
	}
	return owner{id: pe.ID, locationID: pe.LocationID, extension: pe.Extension, memberType: webex.MemberPeople}, nil
}

func (p *planner) location(ctx context.Context, name string) (*webex.Location, error) {
	return p.locations.get(ctx, strings.ToLower(name), func(ctx context.Context) (*webex.Location, error) {
		items, err := p.api.FindLocations(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("looking up location: %w", err)
		}
		for _, l := range items {
			if strings.EqualFold(l.Name, name) {
				return &l, nil
			}
		}
		return nil, fmt.Errorf("location %w", errNoMatch)
	})
}

// existing decides a device whose MAC Webex reports in use: adopt or update
// when the device is visible with the same owner and model, conflict
// otherwise (someone else's, or not visible to us).
func (p *planner) existing(ctx context.Context, pd *PlannedDevice, s webex.MACStatus) error {
	found, err := p.api.ListDevices(ctx, webex.DeviceQuery{MAC: pd.MAC})
	if err != nil {
		if fatal(ctx, err) {
			return fmt.Errorf("planning %s: looking up device: %w", pd.MAC, err)
		}
		pd.invalid("MAC in use; looking up device: %v", err)
		return nil
	}
	var dev *webex.Device
	for i := range found {
		if NormalizeMAC(found[i].MAC) == pd.MAC {
			dev = &found[i]
			break
		}
	}
	if dev == nil {
		pd.Action = ActionConflict
		pd.Reason = "MAC in use by a device this org cannot see" + suffix(s.Message)
		return nil
	}
	pd.DeviceID = dev.ID
	pd.CallingDeviceID = dev.CallingDeviceID
	owner := dev.PersonID
	if owner == "" {
		owner = dev.WorkspaceID
	}
	if owner != pd.OwnerID {
		pd.Action = ActionConflict
		pd.Reason = fmt.Sprintf("MAC in use by %s, owned by %s, not %s (device %s)",
			describeDevice(dev), p.ownerName(ctx, dev), pd.Owner, dev.ID)
		return nil
	}
	tid := telephonyID(dev.ID, dev.CallingDeviceID)
	model := dev.Product
	if model != pd.WebexModel {
		td, err := p.api.GetTelephonyDevice(ctx, tid)
		if err != nil {
			if fatal(ctx, err) {
				return fmt.Errorf("planning %s: reading device: %w", pd.MAC, err)
			}
			pd.invalid("MAC in use; reading device %s: %v", dev.ID, err)
			return nil
		}
		model = td.Model
	}
	if model != pd.WebexModel {
		pd.Action = ActionConflict
		pd.Reason = fmt.Sprintf("MAC in use by a %s of the same owner (%s), not a %s (device %s)", model, pd.Owner, pd.WebexModel, dev.ID)
		return nil
	}
	mem, err := p.api.GetMembers(ctx, tid)
	if err != nil {
		if fatal(ctx, err) {
			return fmt.Errorf("planning %s: reading members: %w", pd.MAC, err)
		}
		pd.invalid("MAC in use; reading members of %s: %v", dev.ID, err)
		return nil
	}
	if sameMembers(mem.Members, pd.Members) {
		pd.Action = ActionAdopt
	} else {
		pd.Action = ActionUpdate
		pd.Reason = "lines differ from the inventory"
	}
	return nil
}

// describeDevice names an existing device for a person to recognise: its
// model and, when Webex has one, its display name.
func describeDevice(dev *webex.Device) string {
	what := "a device"
	if dev.Product != "" {
		what = "a " + dev.Product
	}
	if dev.DisplayName != "" {
		what += fmt.Sprintf(" %q", dev.DisplayName)
	}
	return what
}

// ownerName names the owner of an existing device: the person's e-mail and
// name when the API can read people by ID (one call, for a conflict only),
// else the kind of owner and its ID.
func (p *planner) ownerName(ctx context.Context, dev *webex.Device) string {
	if dev.PersonID == "" {
		if dev.WorkspaceID != "" {
			return "workspace " + dev.WorkspaceID
		}
		return "an owner this org cannot see"
	}
	if dir, ok := p.api.(PeopleDirectory); ok {
		if people, err := dir.GetPeopleByID(ctx, []string{dev.PersonID}); err == nil && len(people) == 1 {
			pe := people[0]
			name := pe.DisplayName
			if len(pe.Emails) > 0 {
				if name != "" {
					return fmt.Sprintf("%s (%s)", pe.Emails[0], name)
				}
				return pe.Emails[0]
			}
			if name != "" {
				return name
			}
		}
	}
	return "person " + dev.PersonID
}

// telephonyID picks the id for /telephony/config/devices calls: both work
// (WEBEX-API.md); the calling id is the native one.
func telephonyID(id, callingID string) string {
	if callingID != "" {
		return callingID
	}
	return id
}

// sameMembers compares what Webex holds with what the plan would put: port,
// member, line type, primary ownership and (when planned) label.
func sameMembers(have []webex.Member, want []webex.MemberPut) bool {
	if len(have) != len(want) {
		return false
	}
	type key struct {
		port    int
		id, typ string
		primary bool
	}
	h := make([]key, 0, len(have))
	for _, m := range have {
		h = append(h, key{m.Port, m.ID, m.LineType, m.PrimaryOwner})
	}
	w := make([]key, 0, len(want))
	for _, m := range want {
		w = append(w, key{m.Port, m.ID, m.LineType, m.PrimaryOwner})
	}
	labels := map[int]string{}
	for _, m := range have {
		labels[m.Port] = m.LineLabel
	}
	for _, m := range want {
		if m.LineLabel != "" && labels[m.Port] != m.LineLabel {
			return false
		}
	}
	cmp := func(a, b key) int {
		if a.port != b.port {
			return a.port - b.port
		}
		return strings.Compare(a.id, b.id)
	}
	slices.SortFunc(h, cmp)
	slices.SortFunc(w, cmp)
	return slices.Equal(h, w)
}

// WritePlan writes p as the locked run directory's plan.json (atomically,
// 0644: a plan holds no secret), and the catalog it was made with. Only the
// lock's holder writes a plan.
func WritePlan(l *rundir.Lock, p *Plan) error {
	if err := rundir.WritePlan(l, p); err != nil {
		return err
	}
	if p.Catalog != nil {
		return WriteCatalog(l.Dir(), p.Catalog)
	}
	return nil
}

// ReadPlan reads dir/plan.json.
func ReadPlan(dir string) (*Plan, error) {
	var p Plan
	if err := rundir.ReadPlan(dir, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// WriteSummary prints the plan's counts per action, and the reason of every
// conflict and invalid device, as a table. Devices in p.Done and p.Resume
// (a resume) are counted on rows of their own, "done" and "resume", instead
// of under the action Webex now suggests for them (a device this run
// created reads as adopt).
func (p *Plan) WriteSummary(w io.Writer) error {
	var b strings.Builder
	counts := p.Summary
	fmt.Fprintf(&b, "%-10s %6s\n", "ACTION", "DEVICES")
	if len(p.Done) > 0 || len(p.Resume) > 0 {
		counts = map[Action]int{}
		done, resume := 0, 0
		for _, d := range p.Devices {
			migrating := d.Action != ActionConflict && d.Action != ActionInvalid
			switch {
			case migrating && p.Done[d.MAC]:
				done++
			case migrating && p.Resume[d.MAC]:
				resume++
			default:
				counts[d.Action]++
			}
		}
		fmt.Fprintf(&b, "%-10s %6d  (already done in this run directory)\n", "done", done)
		fmt.Fprintf(&b, "%-10s %6d  (created by this run directory, steps left)\n", "resume", resume)
	}
	for _, a := range []Action{ActionCreate, ActionAdopt, ActionUpdate, ActionConflict, ActionInvalid} {
		fmt.Fprintf(&b, "%-10s %6d\n", a, counts[a])
	}
	fmt.Fprintf(&b, "%-10s %6d\n", "total", len(p.Devices))
	for _, d := range p.Devices {
		if d.Action == ActionConflict || d.Action == ActionInvalid {
			fmt.Fprintf(&b, "%s %s %s: %s\n", d.Action, d.MAC, d.Pos, d.Reason)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
