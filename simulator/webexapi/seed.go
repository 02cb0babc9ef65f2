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
//	  "devices":    [{"mac": "0004F2A1B2C3", "model": "Yealink T57W Partner Managed", "owner": "ada@acme.example",
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
	// SupportedDevices is "phones" (the emulator's default, since a seed's
	// workspaces are there to take phones) or "collaborationDevices"
	// (Webex's default, which refuses phones).
	SupportedDevices string `json:"supportedDevices,omitempty"`
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

// DefaultModels is the supported-devices catalog of DefaultSeed, named as
// Webex names models: the spec's examples ("DMS Polycom EE400", "2N
// Customer Managed"), "Generic IPPhone Customer Managed", Cisco MPP phones
// and an ATA as "DMS Cisco <model>", and third-party phones and gateways as
// "<make> <model> Partner Managed" or "... Customer Managed" (partner-managed
// names are not public; the planner matches them by normalised name, not by
// this list). managedBy varies (CISCO, CUSTOMER and wxc_sdk's PARTNER) so
// that nothing depends on one value.
func DefaultModels() []webex.SupportedDevice {
	model := func(model, display, family, typ, manufacturer, managedBy string, ports int) webex.SupportedDevice {
		return webex.SupportedDevice{
			Model: model, DisplayName: display, FamilyDisplayName: family, Type: typ,
			Manufacturer: manufacturer, ManagedBy: managedBy,
			SupportedFor: []string{webex.SupportedForPeople, webex.SupportedForPlace}, OnboardingMethod: []string{webex.OnboardingMAC},
			NumberOfLinePorts: ports, AllowConfigureLinesEnabled: true, CallDeclinedEnabled: true,
			T38Enabled: typ == "ATA", AllowConfigurePortsEnabled: typ == "ATA",
		}
	}
	third := func(name, family, typ, managedBy string, ports int, apply, label bool) webex.SupportedDevice {
		suffix := " Partner Managed"
		if managedBy == "CUSTOMER" {
			suffix = " Customer Managed"
		}
		m := model(name+suffix, name+suffix, family, typ, "THIRD_PARTY", managedBy, ports)
		m.SupportsApplyChangesEnabled, m.CustomizableLineLabelEnabled = apply, label
		return m
	}
	cisco := func(num, typ string, ports int, label bool) webex.SupportedDevice {
		m := model("DMS Cisco "+num, "Cisco "+num, "Cisco", typ, "CISCO", "CISCO", ports)
		m.OnboardingMethod = []string{webex.OnboardingMAC, "ACTIVATION_CODE"}
		m.SupportsApplyChangesEnabled, m.CustomizableLineLabelEnabled = true, label
		m.SupportsHotlineEnabled, m.AllowConfigurePhoneSettingsEnabled, m.UpgradeChannelEnabled = true, true, typ == "MPP"
		m.KEMSupportEnabled, m.AllowConfigureLayoutEnabled = typ == "MPP", typ == "MPP"
		return m
	}
	ee400 := model("DMS Polycom EE400", "Polycom EE400", "Poly", "GENERIC_SIP", "THIRD_PARTY", "CISCO", 14)
	ee400.SupportsApplyChangesEnabled, ee400.SupportsHotlineEnabled, ee400.AllowHotelingHostEnabled = true, true, true
	ee400.AdditionalPrimaryLineAppearancesEnabled, ee400.SupportsLinePortReorderingEnabled = true, true
	return []webex.SupportedDevice{
		model("2N Customer Managed", "2N Customer Managed", "", "GENERIC_SIP", "THIRD_PARTY", "CUSTOMER", 20),
		ee400,
		model("Generic IPPhone Customer Managed", "Generic IPPhone Customer Managed", "", "GENERIC_SIP", "THIRD_PARTY", "CUSTOMER", 10),
		third("Yealink T54W", "Yealink", "GENERIC_SIP", "PARTNER", 16, true, true),
		third("Yealink T57W", "Yealink", "GENERIC_SIP", "PARTNER", 16, true, true),
		third("Yealink T46U", "Yealink", "GENERIC_SIP", "PARTNER", 16, true, true),
		third("Polycom VVX450", "Poly", "GENERIC_SIP", "PARTNER", 12, true, false),
		third("Poly Edge E350", "Poly", "GENERIC_SIP", "PARTNER", 8, true, true),
		third("Grandstream GRP2614", "Grandstream", "GENERIC_SIP", "CUSTOMER", 4, false, false),
		third("AudioCodes MP-114", "AudioCodes", "ATA", "PARTNER", 4, false, false),
		third("AudioCodes MP-118", "AudioCodes", "ATA", "PARTNER", 8, true, false),
		third("AudioCodes MP-1288", "AudioCodes", "ATA", "PARTNER", 288, false, false),
		cisco("8851", "MPP", 10, true),
		cisco("8865", "MPP", 10, true),
		cisco("6841", "MPP", 4, false),
		cisco("192", "ATA", 2, false),
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
