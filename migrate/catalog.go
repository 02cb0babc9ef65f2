package migrate

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/rundir"
	"github.com/cutover-dev/cutover/webex"
)

func defaultCatalog() Catalog { return inventory.DefaultCatalog() }

// checkPassword is the inventory's password policy, which generated
// passwords meet too.
func checkPassword(pw string) error { return inventory.CheckPassword(pw) }

// CatalogFile is the org's supported-devices list (S1) as the plan read it,
// inside a run directory: render and certify read the plan's mapping, and
// `cutover models DIR` shows it, without calling Webex again.
const CatalogFile = rundir.CatalogFile

// WebexCatalog is an org's supported-devices list (S1) indexed for matching
// inventory makes and models to Webex models. Webex's names differ from
// what inventories say ("DMS Polycom EE400", "2N Customer Managed",
// "Generic IPPhone Customer Managed"), so both sides are normalised: case,
// spaces and punctuation dropped, a leading "DMS" and a trailing
// "Customer/Partner/Cisco Managed" ignored, and makes folded to one brand
// (Polycom is Poly). Nothing depends on a managedBy value.
type WebexCatalog struct {
	Devices []webex.SupportedDevice `json:"devices"`
	keys    map[string][]int
}

// NewWebexCatalog indexes devs.
func NewWebexCatalog(devs []webex.SupportedDevice) *WebexCatalog {
	c := &WebexCatalog{Devices: devs, keys: map[string][]int{}}
	for i, d := range devs {
		seen := map[string]bool{}
		for _, name := range []string{d.Model, d.DisplayName} {
			for _, k := range []string{normModel(name), normModel(d.FamilyDisplayName + " " + stripBrand(name, d.FamilyDisplayName))} {
				if k != "" && !seen[k] {
					seen[k] = true
					c.keys[k] = append(c.keys[k], i)
				}
			}
		}
	}
	return c
}

// brands folds the spellings of one make.
var brands = map[string]string{"polycom": "poly", "plantronics": "poly", "ylk": "yealink"}

// normModel lower-cases s, keeps letters and digits, drops a leading "dms"
// and a trailing "...managed", and folds a leading brand alias.
func normModel(s string) string {
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(words) > 0 && words[0] == "dms" {
		words = words[1:]
	}
	if n := len(words); n >= 2 && words[n-1] == "managed" {
		switch words[n-2] {
		case "customer", "partner", "cisco":
			words = words[:n-2]
		}
	}
	if len(words) > 0 {
		if b, ok := brands[words[0]]; ok {
			words[0] = b
		}
	}
	return strings.Join(words, "")
}

// stripBrand drops family from the front of name, so that the family can
// be put back in its canonical spelling ("Polycom VVX450", family "Poly").
func stripBrand(name, family string) string {
	if family == "" {
		return name
	}
	f := strings.Fields(name)
	if len(f) > 0 && (strings.EqualFold(f[0], family) || brands[strings.ToLower(f[0])] == strings.ToLower(family)) {
		return strings.Join(f[1:], " ")
	}
	return name
}

// ModelMatch is how one inventory make/model maps to the catalog.
type ModelMatch struct {
	Device webex.SupportedDevice
	// Found is false when nothing (or more than one entry) matched.
	Found bool
	// Ambiguous lists the entries that matched equally, when several did.
	Ambiguous []webex.SupportedDevice
	// Closest are the nearest entries, for the error of an unmatched model.
	Closest []webex.SupportedDevice
}

// Match finds the catalog entry of make and model. A non-empty override
// (the inventory's webex_model) must name an entry's model or display name,
// ignoring case; otherwise make+model, or the model alone, are matched by
// normalised name.
func (c *WebexCatalog) Match(make, model, override string) ModelMatch {
	if c.keys == nil {
		*c = *NewWebexCatalog(c.Devices)
	}
	if o := strings.TrimSpace(override); o != "" {
		for _, d := range c.Devices {
			if strings.EqualFold(d.Model, o) || strings.EqualFold(d.DisplayName, o) {
				return ModelMatch{Device: d, Found: true}
			}
		}
		return ModelMatch{Closest: c.closest(o)}
	}
	for _, k := range []string{normModel(make + " " + model), normModel(model)} {
		idx := c.keys[k]
		switch len(idx) {
		case 0:
			continue
		case 1:
			return ModelMatch{Device: c.Devices[idx[0]], Found: true}
		}
		var amb []webex.SupportedDevice
		for _, i := range idx {
			amb = append(amb, c.Devices[i])
		}
		return ModelMatch{Ambiguous: amb}
	}
	return ModelMatch{Closest: c.closest(make + " " + model)}
}

// closestCount is how many suggestions an unmatched model gets.
const closestCount = 3

// closest returns the entries whose normalised names are nearest to name
// (edit distance), best first.
func (c *WebexCatalog) closest(name string) []webex.SupportedDevice {
	want := normModel(name)
	type scored struct {
		i, d int
	}
	var all []scored
	for i, d := range c.Devices {
		best := -1
		for _, n := range []string{d.Model, d.DisplayName, d.FamilyDisplayName + " " + stripBrand(d.DisplayName, d.FamilyDisplayName)} {
			if dist := editDistance(want, normModel(n)); best < 0 || dist < best {
				best = dist
			}
		}
		all = append(all, scored{i, best})
	}
	slices.SortStableFunc(all, func(a, b scored) int { return a.d - b.d })
	var out []webex.SupportedDevice
	for _, s := range all[:min(closestCount, len(all))] {
		out = append(out, c.Devices[s.i])
	}
	return out
}

// editDistance is the Levenshtein distance of a and b (bytes; the
// normalised names are ASCII letters and digits in practice).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// names renders entries for messages: "model (display name)".
func names(devs []webex.SupportedDevice) string {
	var out []string
	for _, d := range devs {
		s := fmt.Sprintf("%q", d.Model)
		if d.DisplayName != "" && d.DisplayName != d.Model {
			s += fmt.Sprintf(" (%s)", d.DisplayName)
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

// eligible says why sd cannot be provisioned by MAC for an owner of type
// typ, or "". The catalog says which owner types a model serves
// (supportedFor) and how it is onboarded; cutover adds devices by MAC.
func eligible(sd webex.SupportedDevice, typ inventory.OwnerType) string {
	want := webex.SupportedForPeople
	if typ == inventory.Workspace {
		want = webex.SupportedForPlace
	}
	if len(sd.SupportedFor) > 0 && !slices.Contains(sd.SupportedFor, want) {
		return fmt.Sprintf("model %s is not supported for %s owners in Webex (supportedFor %s)", sd.Model, want, strings.Join(sd.SupportedFor, ", "))
	}
	if len(sd.OnboardingMethod) > 0 && !slices.Contains(sd.OnboardingMethod, webex.OnboardingMAC) {
		return fmt.Sprintf("model %s cannot be onboarded by MAC address in Webex (onboardingMethod %s)", sd.Model, strings.Join(sd.OnboardingMethod, ", "))
	}
	return ""
}

// WriteCatalog writes the catalog into the run directory dir (atomically,
// 0644: it holds no secret).
func WriteCatalog(dir string, c *WebexCatalog) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("writing catalog: %w", err)
	}
	if err := rundir.WriteFile(dir, CatalogFile, append(b, '\n'), rundir.ModePublic, true); err != nil {
		return fmt.Errorf("writing catalog: %w", err)
	}
	return nil
}

// ReadCatalog reads the catalog a plan cached in dir.
func ReadCatalog(dir string) (*WebexCatalog, error) {
	path := filepath.Join(dir, CatalogFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading catalog: %w", err)
	}
	var c WebexCatalog
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("reading catalog: %s: %w", path, err)
	}
	return NewWebexCatalog(c.Devices), nil
}

// ModelReport is the org's catalog and how each inventory make/model maps
// to it (`cutover models`).
type ModelReport struct {
	Catalog  *WebexCatalog
	Mappings []ModelMapping
}

// ModelMapping is one distinct make, model and webex_model of an inventory.
type ModelMapping struct {
	Make, Model, Override string
	// Pos is the model cell of the first row naming it.
	Pos     inventory.Pos
	Devices int
	Match   ModelMatch
}

// MapModels reads the org's supported devices with api (or, when api is
// nil, the catalog a plan cached in dir) and maps every distinct make/model
// of devs to it, as MakePlan does.
func MapModels(ctx context.Context, api API, dir string, devs []inventory.Device) (*ModelReport, error) {
	var cat *WebexCatalog
	if api == nil {
		c, err := ReadCatalog(dir)
		if err != nil {
			return nil, err
		}
		cat = c
	} else {
		sup, err := api.SupportedDevices(ctx)
		if err != nil {
			return nil, fmt.Errorf("mapping models: listing supported devices: %w", err)
		}
		cat = NewWebexCatalog(sup)
	}
	p := &planner{catalog: cat, opts: PlanOptions{Catalog: defaultCatalog()}}
	r := &ModelReport{Catalog: cat}
	index := map[[3]string]int{}
	for i := range devs {
		d := &devs[i]
		k := [3]string{normModel(d.Make), normModel(d.Model), strings.ToLower(strings.TrimSpace(d.WebexModel))}
		if j, ok := index[k]; ok {
			r.Mappings[j].Devices++
			continue
		}
		m, _ := p.webexModel(d)
		pos := d.ModelCell
		if pos.Row == 0 {
			pos = d.Pos
		}
		index[k] = len(r.Mappings)
		r.Mappings = append(r.Mappings, ModelMapping{Make: d.Make, Model: d.Model, Override: d.WebexModel, Pos: pos, Devices: 1, Match: m})
	}
	return r, nil
}

// Unmatched counts the mappings that found no Webex model.
func (r *ModelReport) Unmatched() int {
	n := 0
	for _, m := range r.Mappings {
		if !m.Match.Found {
			n++
		}
	}
	return n
}

// WriteTable prints the catalog, then each mapping (with the closest
// entries of an unmatched one).
func (r *ModelReport) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%-40s %-32s %-12s %-12s %-9s %5s %s\n", "MODEL", "DISPLAY NAME", "TYPE", "MANUFACTURER", "MANAGED", "PORTS", "FOR")
	for _, d := range r.Catalog.Devices {
		fmt.Fprintf(&b, "%-40s %-32s %-12s %-12s %-9s %5d %s\n", d.Model, d.DisplayName, d.Type, d.Manufacturer, d.ManagedBy,
			d.NumberOfLinePorts, strings.Join(d.SupportedFor, ","))
	}
	if len(r.Mappings) > 0 {
		fmt.Fprintf(&b, "\n%-32s %7s  %s\n", "INVENTORY MODEL", "DEVICES", "WEBEX MODEL")
		for _, m := range r.Mappings {
			name := m.Make + " " + m.Model
			if m.Override != "" {
				name += " [webex_model " + m.Override + "]"
			}
			switch mm := m.Match; {
			case mm.Found:
				fmt.Fprintf(&b, "%-32s %7d  %s\n", name, m.Devices, mm.Device.Model)
			case len(mm.Ambiguous) > 0:
				fmt.Fprintf(&b, "%-32s %7d  ambiguous (%s): %s; name one in the webex_model column\n", name, m.Devices, m.Pos, names(mm.Ambiguous))
			default:
				fmt.Fprintf(&b, "%-32s %7d  no match (%s); closest: %s; name one in the webex_model column\n", name, m.Devices, m.Pos, names(mm.Closest))
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
