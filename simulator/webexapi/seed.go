package webexapi

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/webex"
)

// Seed is the org an emulator starts with. It is read from JSON by LoadSeed;
// testdata/seed.json is a complete example:
//
//	{
//	  "orgId":         "<optional Webex org ID; generated when empty>",
//	  "orgName":       "Acme Corp",
//	  "outboundProxy": "sip.cutover.test",
//	  "locations":  [{"name": "Headquarters", "defaultDomain": "headquarters.sip.example.test"}],
//	  "people":     [{"email": "ada@acme.example", "firstName": "Ada", "lastName": "Lovelace",
//	                  "extension": "1001", "phoneNumber": "+14085550101", "location": "Headquarters"}],
//	  "workspaces": [{"name": "Lobby", "location": "Headquarters", "extension": "1901"}],
//	  "models":     [ ...webex.SupportedDevice objects; empty means DefaultModels()... ],
//	  "devices":    [{"mac": "0004F2A1B2C3", "model": "Yealink T57W", "owner": "ada@acme.example",
//	                  "ownerType": "person", "password": "..."}]
//	}
//
// Every field is optional. A location without defaultDomain gets
// "<slug>.sip.example.test" (DomainFor); a person or workspace without a
// location goes to the first location (one named "Main" is made if there is
// none). Names and e-mails are matched case-insensitively. IDs are derived
// from the natural keys (e-mail, name), so the same seed gives the same IDs.
type Seed struct {
	OrgID         string          `json:"orgId,omitempty"`
	OrgName       string          `json:"orgName,omitempty"`
	OutboundProxy string          `json:"outboundProxy,omitempty"`
	Locations     []SeedLocation  `json:"locations,omitempty"`
	People        []SeedPerson    `json:"people,omitempty"`
	Workspaces    []SeedWorkspace `json:"workspaces,omitempty"`
	// Models is the supported-devices catalog (S1); empty means DefaultModels().
	Models []webex.SupportedDevice `json:"models,omitempty"`
	// Devices exist before the first call (to rehearse adopt and conflicts).
	Devices []SeedDevice `json:"devices,omitempty"`
}

// SeedLocation is a Webex Calling location.
type SeedLocation struct {
	Name          string `json:"name"`
	DefaultDomain string `json:"defaultDomain,omitempty"`
}

// SeedPerson is a calling-licensed user.
type SeedPerson struct {
	Email       string `json:"email"`
	FirstName   string `json:"firstName,omitempty"`
	LastName    string `json:"lastName,omitempty"`
	Extension   string `json:"extension,omitempty"`
	PhoneNumber string `json:"phoneNumber,omitempty"`
	Location    string `json:"location,omitempty"`
}

// SeedWorkspace is a calling-enabled workspace.
type SeedWorkspace struct {
	Name      string `json:"name"`
	Location  string `json:"location,omitempty"`
	Extension string `json:"extension,omitempty"`
	// CallingType is the workspace's calling{type}; default "webexCalling".
	CallingType string `json:"callingType,omitempty"`
}

// SeedDevice is a device that already exists in the org.
type SeedDevice struct {
	MAC       string `json:"mac"`
	Model     string `json:"model"`
	Owner     string `json:"owner"`               // e-mail or workspace name
	OwnerType string `json:"ownerType,omitempty"` // person (default) or workspace
	Password  string `json:"password,omitempty"`
}

// DefaultOutboundProxy is the outbound proxy (an SRV domain) of devices when
// the seed names none.
const DefaultOutboundProxy = "sip.cutover.test"

// LoadSeed reads a JSON seed (see Seed). Unknown fields are refused so that a
// typo does not silently drop part of the org; errors name the offset.
func LoadSeed(r io.Reader) (*Seed, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var s Seed
	if err := dec.Decode(&s); err != nil {
		if se, ok := err.(*json.SyntaxError); ok {
			return nil, fmt.Errorf("reading seed: offset %d: %w", se.Offset, err)
		}
		if te, ok := err.(*json.UnmarshalTypeError); ok {
			return nil, fmt.Errorf("reading seed: offset %d: field %s: %w", te.Offset, te.Field, err)
		}
		return nil, fmt.Errorf("reading seed: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("reading seed: offset %d: unexpected data after the seed object", dec.InputOffset())
	}
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("reading seed: %w", err)
	}
	return &s, nil
}

// checkUnique checks the key of every item of list (named field in errors):
// problem says what is wrong with one key, or "", and no two keys may be
// equal once trimmed and folded to lower case (a duplicate is named what).
// It returns the set of folded keys.
func checkUnique[T any](list []T, field, what string, key func(T) string, problem func(string) string) (map[string]bool, error) {
	seen := map[string]bool{}
	for i, item := range list {
		k := key(item)
		if msg := problem(k); msg != "" {
			return nil, fmt.Errorf("%s[%d]: %s", field, i, msg)
		}
		folded := strings.ToLower(strings.TrimSpace(k))
		if seen[folded] {
			return nil, fmt.Errorf("%s[%d]: duplicate %s %q", field, i, what, k)
		}
		seen[folded] = true
	}
	return seen, nil
}

// nameGiven is checkUnique's problem for a name that must not be blank.
func nameGiven(name string) string {
	if strings.TrimSpace(name) == "" {
		return "name is empty"
	}
	return ""
}

// isEmail is checkUnique's problem for a person's e-mail address.
func isEmail(email string) string {
	if !strings.Contains(email, "@") {
		return fmt.Sprintf("email %q is not an e-mail address", email)
	}
	return ""
}

// validate checks what New cannot repair: names and keys present and unique.
func (s *Seed) validate() error {
	if _, err := checkUnique(s.Locations, "locations", "location", func(l SeedLocation) string { return l.Name }, nameGiven); err != nil {
		return err
	}
	emails, err := checkUnique(s.People, "people", "email", func(p SeedPerson) string { return p.Email }, isEmail)
	if err != nil {
		return err
	}
	wss, err := checkUnique(s.Workspaces, "workspaces", "workspace", func(w SeedWorkspace) string { return w.Name }, nameGiven)
	if err != nil {
		return err
	}
	for i, m := range s.Models {
		if m.Model == "" || m.NumberOfLinePorts < 1 {
			return fmt.Errorf("models[%d]: model and numberOfLinePorts are required", i)
		}
	}
	models := map[string]bool{}
	catalog := s.Models
	if len(catalog) == 0 {
		catalog = DefaultModels()
	}
	for _, m := range catalog {
		models[strings.ToLower(m.Model)] = true
	}
	macs := map[string]bool{}
	for i, d := range s.Devices {
		mac, ok := normalizeMAC(d.MAC)
		if !ok {
			return fmt.Errorf("devices[%d]: mac %q is not 12 hex digits", i, d.MAC)
		}
		if macs[mac] {
			return fmt.Errorf("devices[%d]: duplicate mac %s", i, mac)
		}
		macs[mac] = true
		if !models[strings.ToLower(d.Model)] {
			return fmt.Errorf("devices[%d]: model %q is not in the catalog", i, d.Model)
		}
		owner := strings.ToLower(strings.TrimSpace(d.Owner))
		switch d.OwnerType {
		case "", string(inventory.Person):
			if !emails[owner] {
				return fmt.Errorf("devices[%d]: owner %q is not one of the seed's people", i, d.Owner)
			}
		case string(inventory.Workspace):
			if !wss[owner] {
				return fmt.Errorf("devices[%d]: owner %q is not one of the seed's workspaces", i, d.Owner)
			}
		default:
			return fmt.Errorf("devices[%d]: ownerType %q: expected person or workspace", i, d.OwnerType)
		}
	}
	return nil
}

// DomainFor is the default domain given to a location that has none:
// "<slug>.sip.example.test", the slug being the name in lower case with every
// run of other characters than letters and digits turned into one '-'.
func DomainFor(location string) string {
	return slug(location) + ".sip.example.test"
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	if b.Len() == 0 {
		return "location"
	}
	return b.String()
}

// DefaultModels is the supported-devices catalog of DefaultSeed: every
// webexModel of fixtures/models.json as a partner-managed third-party device,
// plus a few Cisco MPP phones and a Cisco ATA.
func DefaultModels() []webex.SupportedDevice {
	third := func(model string, typ string, ports int, apply, label bool) webex.SupportedDevice {
		return webex.SupportedDevice{
			Model: model, DisplayName: model, Type: typ, Manufacturer: "THIRD_PARTY", ManagedBy: "PARTNER",
			SupportedFor: []string{"PEOPLE", "PLACE"}, OnboardingMethod: []string{"MAC_ADDRESS"},
			NumberOfLinePorts: ports, SupportsApplyChangesEnabled: apply, CustomizableLineLabelEnabled: label,
		}
	}
	cisco := func(model, display, typ string, ports int, label bool) webex.SupportedDevice {
		return webex.SupportedDevice{
			Model: model, DisplayName: display, Type: typ, Manufacturer: "CISCO", ManagedBy: "CISCO",
			SupportedFor: []string{"PEOPLE", "PLACE"}, OnboardingMethod: []string{"MAC_ADDRESS", "ACTIVATION_CODE"},
			NumberOfLinePorts: ports, SupportsApplyChangesEnabled: true, CustomizableLineLabelEnabled: label,
		}
	}
	return []webex.SupportedDevice{
		third("Yealink T54W", "GENERIC_SIP", 16, true, true),
		third("Yealink T57W", "GENERIC_SIP", 16, true, true),
		third("Yealink T46U", "GENERIC_SIP", 16, true, true),
		third("Poly VVX 450", "GENERIC_SIP", 12, true, false),
		third("Poly Edge E350", "GENERIC_SIP", 8, true, true),
		third("Grandstream GRP2614", "GENERIC_SIP", 4, false, false),
		third("AudioCodes MP-114", "ATA", 4, false, false),
		third("AudioCodes MP-118", "ATA", 8, true, false),
		third("AudioCodes MP-1288", "ATA", 288, false, false),
		third("Generic SIP Phone", "GENERIC_SIP", 24, false, false),
		cisco("DMS Cisco 8851", "Cisco 8851", "MPP", 10, true),
		cisco("DMS Cisco 8845", "Cisco 8845", "MPP", 10, true),
		cisco("DMS Cisco 6841", "Cisco 6841", "MPP", 4, false),
		cisco("DMS Cisco 192", "Cisco 192", "ATA", 2, false),
	}
}

// DefaultSeed is a small realistic org: three locations, twelve people with
// extensions, three workspaces and the DefaultModels catalog. Each call
// returns a fresh copy.
func DefaultSeed() *Seed {
	s := &Seed{
		OrgName:       "Acme Corp",
		OutboundProxy: DefaultOutboundProxy,
		Locations: []SeedLocation{
			{Name: "Headquarters", DefaultDomain: DomainFor("Headquarters")},
			{Name: "Branch Office", DefaultDomain: DomainFor("Branch Office")},
			{Name: "Warehouse", DefaultDomain: DomainFor("Warehouse")},
		},
		Workspaces: []SeedWorkspace{
			{Name: "Lobby", Location: "Headquarters", Extension: "1901"},
			{Name: "Break Room", Location: "Branch Office", Extension: "2901"},
			{Name: "Loading Dock", Location: "Warehouse", Extension: "3901"},
		},
		Models: DefaultModels(),
	}
	names := [][2]string{
		{"Ada", "Lovelace"}, {"Alan", "Turing"}, {"Grace", "Hopper"}, {"Edsger", "Dijkstra"},
		{"Barbara", "Liskov"}, {"Ken", "Thompson"}, {"Frances", "Allen"}, {"Dennis", "Ritchie"},
		{"Radia", "Perlman"}, {"John", "McCarthy"}, {"Margaret", "Hamilton"}, {"Donald", "Knuth"},
	}
	for i, n := range names {
		loc := s.Locations[i%3]
		ext := strconv.Itoa((i%3+1)*1000 + 1 + i/3)
		s.People = append(s.People, SeedPerson{
			Email:     strings.ToLower(n[0]+"."+n[1]) + "@acme.example",
			FirstName: n[0], LastName: n[1], Extension: ext,
			PhoneNumber: "+1408555" + fmt.Sprintf("%04d", 100+i),
			Location:    loc.Name,
		})
	}
	return s
}

// AddInventory adds to the seed every location, owner and line owner that
// the inventory names and the seed lacks: a person by e-mail, a workspace by
// name, a location by name (with DomainFor's default domain). A new person or
// workspace gets the device's location (or the seed's first) and the next free
// extension of the form 5000+n. Names already present are left as they are.
func (s *Seed) AddInventory(devs []inventory.Device) {
	locs := map[string]bool{}
	for _, l := range s.Locations {
		locs[strings.ToLower(strings.TrimSpace(l.Name))] = true
	}
	people := map[string]bool{}
	exts := map[string]bool{}
	for _, p := range s.People {
		people[strings.ToLower(strings.TrimSpace(p.Email))] = true
		exts[p.Extension] = true
	}
	wss := map[string]bool{}
	for _, w := range s.Workspaces {
		wss[strings.ToLower(strings.TrimSpace(w.Name))] = true
		exts[w.Extension] = true
	}
	next := 5000
	newExt := func() string {
		for {
			next++
			e := strconv.Itoa(next)
			if !exts[e] {
				exts[e] = true
				return e
			}
		}
	}
	location := func(name string) string {
		name = strings.TrimSpace(name)
		if name == "" {
			if len(s.Locations) == 0 {
				s.Locations = append(s.Locations, SeedLocation{Name: "Main", DefaultDomain: DomainFor("Main")})
				locs["main"] = true
			}
			return s.Locations[0].Name
		}
		if k := strings.ToLower(name); !locs[k] {
			locs[k] = true
			s.Locations = append(s.Locations, SeedLocation{Name: name, DefaultDomain: DomainFor(name)})
		}
		return name
	}
	addOwner := func(owner string, typ inventory.OwnerType, loc string) {
		owner = strings.TrimSpace(owner)
		if owner == "" {
			return
		}
		k := strings.ToLower(owner)
		if typ == inventory.Workspace {
			if !wss[k] {
				wss[k] = true
				s.Workspaces = append(s.Workspaces, SeedWorkspace{Name: owner, Location: location(loc), Extension: newExt()})
			}
			return
		}
		if people[k] || !strings.Contains(k, "@") {
			return
		}
		people[k] = true
		first, last := namesFromEmail(owner)
		s.People = append(s.People, SeedPerson{
			Email: owner, FirstName: first, LastName: last, Extension: newExt(), Location: location(loc),
		})
	}
	for _, d := range devs {
		loc := location(d.Location)
		addOwner(d.Owner, ownerTypeOr(d.OwnerType), loc)
		for _, l := range d.Lines {
			addOwner(l.Owner, ownerTypeOr(l.OwnerType), loc)
		}
	}
}

func ownerTypeOr(t inventory.OwnerType) inventory.OwnerType {
	if t == "" {
		return inventory.Person
	}
	return t
}

// namesFromEmail guesses first and last names from "first.last@domain".
func namesFromEmail(email string) (string, string) {
	local, _, _ := strings.Cut(email, "@")
	parts := strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' || r == '+' })
	title := func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	}
	switch len(parts) {
	case 0:
		return "User", ""
	case 1:
		return title(parts[0]), ""
	default:
		return title(parts[0]), title(parts[len(parts)-1])
	}
}
