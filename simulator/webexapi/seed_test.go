package webexapi

import (
	"os"
	"strings"
	"testing"

	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/webex"
)

func loadTestSeed(t *testing.T) *Seed {
	t.Helper()
	f, err := os.Open("testdata/seed.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := LoadSeed(f)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLoadSeed(t *testing.T) {
	seed := loadTestSeed(t)
	h := newHarness(t, WithSeed(seed))
	if h.s.OrgID() != seed.OrgID {
		t.Errorf("org id %q, want the seed's", h.s.OrgID())
	}
	homer := h.person("homer.simpson@globex.example")
	lenny := h.person("lenny.leonard@globex.example")
	carl := h.person("carl.carlson@globex.example")
	if lenny.FirstName != "Lenny" || lenny.LastName != "Leonard" || carl.Extension != "" || carl.LocationID != homer.LocationID {
		t.Errorf("lenny = %+v, carl = %+v", lenny, carl)
	}
	var lc webex.LocationCalling
	h.call("GET", "/v1/telephony/config/locations/"+lenny.LocationID, nil).decode(t, &lc)
	if lc.Name != "Shelbyville" || lc.DefaultDomain != "shelbyville.sip.example.test" {
		t.Errorf("location without domain = %+v", lc)
	}
	var sd webex.SupportedDevicesResponse
	h.call("GET", "/v1/telephony/config/supportedDevices", nil).decode(t, &sd)
	if len(sd.Devices) != 2 {
		t.Errorf("catalog = %d models, want the seed's 2", len(sd.Devices))
	}
	// The seeded device exists, with its password and the seed's proxy.
	var l webex.ListResponse[webex.Device]
	h.call("GET", "/v1/devices?mac=001565AABB01", nil).decode(t, &l)
	if len(l.Items) != 1 || l.Items[0].PersonID != homer.ID {
		t.Fatalf("seeded device = %+v", l.Items)
	}
	var td webex.TelephonyDevice
	h.call("GET", "/v1/telephony/config/devices/"+l.Items[0].ID, nil).decode(t, &td)
	if td.Proxy.OutboundProxy != "sip.lab.cutover.test" || !strings.HasSuffix(td.Owner.LinePort, "@springfield.lab.example.test") {
		t.Errorf("seeded telephony device = %+v", td)
	}
	if pw, ok := h.s.DevicePassword(td.Owner.SIPUserName); !ok || pw != "Donut#Time42" {
		t.Errorf("seeded password not set")
	}
	if r := h.call("POST", "/v1/telephony/config/devices/actions/validateMacs/invoke", webex.ValidateMACsRequest{MACs: []string{"001565AABB01"}}); !strings.Contains(string(r.body), webex.MACUnavailable) {
		t.Errorf("seeded MAC not unavailable: %s", r.body)
	}
	// Same seed, same IDs.
	h2 := newHarness(t, WithSeed(loadTestSeed(t)))
	if h2.person("homer.simpson@globex.example").ID != homer.ID {
		t.Error("IDs differ between two emulators on the same seed")
	}
}

func TestLoadSeedErrors(t *testing.T) {
	tests := []struct{ json, msg string }{
		{`{"people": [{"email": "a@b.example", "nickname": "x"}]}`, `unknown field "nickname"`},
		{`{"people": [`, "reading seed"},
		{`{"people": [{"email": 7}]}`, "offset"},
		{`{"people": [{"email": "a@b.example"}, {"email": "A@b.example"}]}`, "people[1]: duplicate email"},
		{`{"people": [{"email": "not-an-email"}]}`, "people[0]"},
		{`{"locations": [{"name": ""}]}`, "locations[0]: name is empty"},
		{`{"devices": [{"mac": "xyz", "model": "Yealink T57W Partner Managed", "owner": "a@b.example"}]}`, "devices[0]: mac"},
		{`{"people": [{"email": "a@b.example"}], "devices": [{"mac": "0004F2000001", "model": "Nokia 3310", "owner": "a@b.example"}]}`, "not in the catalog"},
		{`{"devices": [{"mac": "0004F2000001", "model": "Yealink T57W Partner Managed", "owner": "who@b.example"}]}`, "not one of the seed's people"},
		{`{"models": [{"model": "X"}]}`, "numberOfLinePorts"},
		{`{} {}`, "unexpected data after the seed object"},
	}
	for _, tc := range tests {
		_, err := LoadSeed(strings.NewReader(tc.json))
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("LoadSeed(%s) = %v, want an error containing %q", tc.json, err, tc.msg)
		}
	}
}

func TestDefaultSeedIsFresh(t *testing.T) {
	a := DefaultSeed()
	a.People[0].Email = "changed@acme.example"
	if DefaultSeed().People[0].Email == "changed@acme.example" {
		t.Error("DefaultSeed shares state between calls")
	}
	if err := DefaultSeed().validate(); err != nil {
		t.Error(err)
	}
}

func TestAddInventory(t *testing.T) {
	seed := DefaultSeed()
	seed.AddInventory([]inventory.Device{
		{
			MAC: "0004F2000001", Type: inventory.Phone, Model: "T57W", Owner: "New.Person@acme.example", Location: "Paris Office",
			Lines: []inventory.Line{
				{Port: 1, Owner: "New.Person@acme.example", OwnerType: inventory.Person},
				{Port: 2, Owner: ada, OwnerType: inventory.Person, Shared: true},
				{Port: 3, Owner: "Front Desk", OwnerType: inventory.Workspace},
			},
		},
		{MAC: "0004F2000002", Type: inventory.Gateway, Model: "MP-118", Owner: "Fax Room", OwnerType: inventory.Workspace},
		{MAC: "0004F2000003", Type: inventory.Phone, Model: "T57W", Owner: "new.person@ACME.example", Location: "paris office"},
		{MAC: "0004F2000004", Type: inventory.Phone, Model: "T57W", Owner: "lobby", OwnerType: inventory.Workspace, Location: "Headquarters"},
	})
	def := DefaultSeed()
	if got, want := len(seed.People), len(def.People)+1; got != want {
		t.Errorf("people = %d, want %d", got, want)
	}
	if got, want := len(seed.Workspaces), len(def.Workspaces)+2; got != want {
		t.Errorf("workspaces = %d, want %d", got, want)
	}
	if got, want := len(seed.Locations), len(def.Locations)+1; got != want {
		t.Errorf("locations = %d, want %d", got, want)
	}
	if err := seed.validate(); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, WithSeed(seed))
	np := h.person("new.person@acme.example")
	if np.FirstName != "New" || np.LastName != "Person" || np.Extension == "" {
		t.Errorf("new person = %+v", np)
	}
	var lc webex.LocationCalling
	h.call("GET", "/v1/telephony/config/locations/"+np.LocationID, nil).decode(t, &lc)
	if lc.Name != "Paris Office" || lc.DefaultDomain != "paris-office.sip.example.test" {
		t.Errorf("new location = %+v", lc)
	}
	fd := h.workspace("Front Desk")
	if fd.LocationID != np.LocationID {
		t.Errorf("line owner workspace location %s, want the device's %s", fd.LocationID, np.LocationID)
	}
	fax := h.workspace("Fax Room")
	if fax.LocationID != h.person(ada).LocationID {
		t.Errorf("workspace without location should go to the first location")
	}
	// The owners take devices and members.
	d := h.create("0004F2000001", "Yealink T57W Partner Managed", "new.person@acme.example")
	members := []webex.MemberPut{
		{Port: 1, ID: np.ID, PrimaryOwner: true, LineType: webex.LinePrimary},
		{Port: 2, ID: h.person(ada).ID, LineType: webex.LineShared},
		{Port: 3, ID: fd.ID, LineType: webex.LineShared},
	}
	h.expect(h.call("PUT", "/v1/telephony/config/devices/"+d.ID+"/members", webex.PutMembersRequest{Members: members}), 204)
	// Extensions are unique across the org.
	exts := map[string]bool{}
	for _, p := range seed.People {
		if exts[p.Extension] {
			t.Errorf("extension %s twice", p.Extension)
		}
		exts[p.Extension] = true
	}
	for _, w := range seed.Workspaces {
		if exts[w.Extension] {
			t.Errorf("extension %s twice", w.Extension)
		}
		exts[w.Extension] = true
	}
}

func TestDomainFor(t *testing.T) {
	for in, want := range map[string]string{
		"Paris Office":    "paris-office.sip.example.test",
		"  São Paulo #2 ": "s-o-paulo-2.sip.example.test",
		"!!!":             "location.sip.example.test",
	} {
		if got := DomainFor(in); got != want {
			t.Errorf("DomainFor(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzLoadSeed checks that a seed LoadSeed accepts never makes New panic.
func FuzzLoadSeed(f *testing.F) {
	raw, err := os.ReadFile("testdata/seed.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(raw))
	f.Add(`{"people":[{"email":"a@b"}],"workspaces":[{"name":"W"}],"devices":[{"mac":"000000000000","model":"Yealink T57W Partner Managed","owner":"W","ownerType":"workspace"}]}`)
	f.Add(`{"locations":[{"name":"A"},{"name":"a "}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		seed, err := LoadSeed(strings.NewReader(in))
		if err != nil {
			return
		}
		New(WithSeed(seed))
	})
}
