package migrate

import (
	"strings"
	"testing"

	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/simulator/webexapi"
	"github.com/cutover-dev/cutover/webex"
)

func TestWebexCatalogMatch(t *testing.T) {
	cat := NewWebexCatalog(webexapi.DefaultModels())
	for _, tc := range []struct{ make, model, override, want string }{
		{"Yealink", "T54W", "", "Yealink T54W Partner Managed"},
		{"yealink", "t-54w", "", "Yealink T54W Partner Managed"},
		{"Poly", "VVX 450", "", "Polycom VVX450 Partner Managed"}, // brand folded, spaces dropped
		{"Polycom", "EE400", "", "DMS Polycom EE400"},             // "DMS" prefix ignored
		{"Poly", "EE400", "", "DMS Polycom EE400"},                // familyDisplayName
		{"Cisco", "8851", "", "DMS Cisco 8851"},                   // the model alone, by display name
		{"2N", "IP Phone", "", ""},                                // no match
		{"Generic", "SIP Phone", "Generic IPPhone Customer Managed", "Generic IPPhone Customer Managed"},
		{"Generic", "SIP Phone", "cisco 8851", "DMS Cisco 8851"}, // display name, any case
		{"Yealink", "T54W", "Yealink T99", ""},                   // a bad override is not ignored
	} {
		m := cat.Match(tc.make, tc.model, tc.override)
		if got := m.Device.Model; m.Found != (tc.want != "") || got != tc.want {
			t.Errorf("Match(%q, %q, %q) = %q, %v; want %q", tc.make, tc.model, tc.override, got, m.Found, tc.want)
		}
	}
}

// A catalog that names models unlike the inventory: the plan's errors
// point at the model cell and suggest the right entry; webex_model fixes it.
func TestPlanCatalogNamedDifferently(t *testing.T) {
	devs := []inventory.Device{{
		Pos: inventory.Pos{File: "inv.xlsx", Sheet: "Devices", Row: 2}, MAC: "805EC0000001", Type: inventory.Phone,
		Make: "Yealink", Model: "T54W", Owner: "ada.lovelace@acme.example", OwnerType: inventory.Person,
		ModelCell: inventory.Pos{File: "inv.xlsx", Sheet: "Devices", Row: 2, Column: "C", Header: "model"},
		Lines:     []inventory.Line{{Port: 1, Owner: "ada.lovelace@acme.example", OwnerType: inventory.Person}},
	}}
	models := []webex.SupportedDevice{
		{Model: "YLK SIP-T54W PM", DisplayName: "SIP-T54W", Type: "GENERIC_SIP", Manufacturer: "THIRD_PARTY", ManagedBy: "CUSTOMER",
			SupportedFor: []string{"PEOPLE"}, OnboardingMethod: []string{"MAC_ADDRESS"}, NumberOfLinePorts: 16},
		{Model: "DMS Cisco 8851", DisplayName: "Cisco 8851", Type: "MPP", Manufacturer: "CISCO", ManagedBy: "CISCO",
			SupportedFor: []string{"PEOPLE", "PLACE"}, OnboardingMethod: []string{"MAC_ADDRESS"}, NumberOfLinePorts: 10},
		{Model: "2N Customer Managed", DisplayName: "2N Customer Managed", Type: "GENERIC_SIP", Manufacturer: "THIRD_PARTY", ManagedBy: "CUSTOMER",
			SupportedFor: []string{"PEOPLE", "PLACE"}, OnboardingMethod: []string{"MAC_ADDRESS"}, NumberOfLinePorts: 20},
	}
	plan := func(devs []inventory.Device) PlannedDevice {
		org := newTestOrg(t, devs, func(s *webexapi.Seed) { s.Models = models })
		p, err := MakePlan(testContext(t), org.client, devs, PlanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return p.Devices[0]
	}
	pd := plan(devs)
	if pd.Action != ActionInvalid || pd.Pos.String() != "inv.xlsx:Devices:2:C" ||
		!strings.Contains(pd.Reason, `closest: "YLK SIP-T54W PM" (SIP-T54W)`) || !strings.Contains(pd.Reason, "webex_model") {
		t.Fatalf("unmatched model: %s %s: %s", pd.Action, pd.Pos, pd.Reason)
	}
	devs[0].WebexModel = "sip-t54w"
	if pd := plan(devs); pd.Action != ActionCreate || pd.WebexModel != "YLK SIP-T54W PM" {
		t.Fatalf("with webex_model: %s %q: %s", pd.Action, pd.WebexModel, pd.Reason)
	}
	devs[0].WebexModel = "SIP-T45W"
	devs[0].ModelCell = inventory.Pos{File: "inv.xlsx", Sheet: "Devices", Row: 2, Column: "H", Header: "webex_model"}
	if pd := plan(devs); pd.Action != ActionInvalid || pd.Pos.Column != "H" || !strings.Contains(pd.Reason, `webex_model "SIP-T45W" is not in the org's supported devices (closest: "YLK SIP-T54W PM"`) {
		t.Fatalf("bad webex_model: %s %s: %s", pd.Action, pd.Pos, pd.Reason)
	}
	// supportedFor: the model serves people only.
	devs[0].WebexModel = "SIP-T54W"
	devs[0].Owner, devs[0].OwnerType = "Lobby", inventory.Workspace
	devs[0].Lines = []inventory.Line{{Port: 1, Owner: "Lobby", OwnerType: inventory.Workspace}}
	if pd := plan(devs); pd.Action != ActionInvalid || !strings.Contains(pd.Reason, "not supported for PLACE owners") {
		t.Fatalf("workspace owner of a people-only model: %s: %s", pd.Action, pd.Reason)
	}
	// Onboarding: activation code only.
	models[0].SupportedFor = []string{"PEOPLE", "PLACE"}
	models[0].OnboardingMethod = []string{"ACTIVATION_CODE"}
	if pd := plan(devs); pd.Action != ActionInvalid || !strings.Contains(pd.Reason, "cannot be onboarded by MAC") {
		t.Fatalf("activation-code model: %s: %s", pd.Action, pd.Reason)
	}
	models[0].OnboardingMethod = []string{"MAC_ADDRESS"}
	if pd := plan(devs); pd.Action != ActionCreate {
		t.Fatalf("eligible: %s: %s", pd.Action, pd.Reason)
	}
}

// Phones go only into workspaces with Webex Calling that take phones.
func TestPlanWorkspaceEligibility(t *testing.T) {
	dev := func(ws string) inventory.Device {
		return inventory.Device{Pos: inventory.Pos{File: "inv.csv", Row: 2}, MAC: "805EC0000001", Type: inventory.Phone,
			Make: "Yealink", Model: "T54W", Owner: ws, OwnerType: inventory.Workspace, Location: "Headquarters",
			OwnerCell: inventory.Pos{File: "inv.csv", Row: 2, Column: "E", Header: "owner"},
			Lines:     []inventory.Line{{Port: 1, Owner: ws, OwnerType: inventory.Workspace}}}
	}
	for _, tc := range []struct {
		calling, supports, want string
	}{
		{"", "", ""},
		{"", webex.WorkspaceTakesCollabs, `supports "collaborationDevices"`},
		{"freeCalling", "", `calling type "freeCalling"`},
	} {
		devs := []inventory.Device{dev("Room")}
		org := newTestOrg(t, nil, func(s *webexapi.Seed) {
			s.Workspaces = append(s.Workspaces, webexapi.SeedWorkspace{Name: "Room", Location: "Headquarters",
				CallingType: tc.calling, SupportedDevices: tc.supports})
		})
		p, err := MakePlan(testContext(t), org.client, devs, PlanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pd := p.Devices[0]
		if tc.want == "" {
			if pd.Action != ActionCreate {
				t.Errorf("eligible workspace: %s: %s", pd.Action, pd.Reason)
			}
			continue
		}
		if pd.Action != ActionInvalid || !strings.Contains(pd.Reason, tc.want) || pd.Pos.String() != "inv.csv::2:E" {
			t.Errorf("%s/%s: %s %s: %s", tc.calling, tc.supports, pd.Action, pd.Pos, pd.Reason)
		}
	}
}

// A read-only token may not call validateMacs: the plan looks the MACs up
// and still tells create from adopt and conflict.
func TestPlanReadOnlyToken(t *testing.T) {
	devs := genDevices(12, 3)
	org := newTestOrg(t, devs, func(s *webexapi.Seed) {
		s.Devices = append(s.Devices, webexapi.SeedDevice{MAC: devs[0].MAC, Model: "Generic IPPhone Customer Managed", Owner: "ada.lovelace@acme.example", Password: "Ada#Pass9999"})
	})
	c, err := webex.New(org.srv.URL+"/v1", webex.StaticToken(org.emu.IssueToken(webexapi.ReadScopes()...)))
	if err != nil {
		t.Fatal(err)
	}
	p, err := MakePlan(testContext(t), c, devs, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Devices[0].Action != ActionConflict || p.Summary[ActionCreate] != len(devs)-1 {
		t.Errorf("read-only plan: %v; first %s: %s", p.Summary, p.Devices[0].Action, p.Devices[0].Reason)
	}
	// Without devices_read as well, the plan cannot look MACs up: fatal.
	var scopes []string
	for _, s := range webexapi.ReadScopes() {
		if s != webexapi.ScopeDevicesRead {
			scopes = append(scopes, s)
		}
	}
	c, _ = webex.New(org.srv.URL+"/v1", webex.StaticToken(org.emu.IssueToken(scopes...)))
	if _, err := MakePlan(testContext(t), c, devs, PlanOptions{}); err == nil || !strings.Contains(err.Error(), "devices_read") {
		t.Errorf("plan without devices_read: %v", err)
	}
}

// Gateway (ATA) members carry the T.38 flag; phone members do not.
func TestPlanT38OnGatewayMembers(t *testing.T) {
	devs := genDevices(12, 3)
	org := newTestOrg(t, devs, nil)
	p, err := MakePlan(testContext(t), org.client, devs, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gw, phone := 0, 0
	for _, pd := range p.Devices {
		for _, m := range pd.Members {
			switch {
			case pd.Type == inventory.Gateway && m.T38FaxCompressionEnabled != nil:
				gw++
			case pd.Type == inventory.Phone && m.T38FaxCompressionEnabled == nil:
				phone++
			default:
				t.Errorf("%s %s: member %+v", pd.Type, pd.MAC, m)
			}
		}
	}
	if gw == 0 || phone == 0 {
		t.Errorf("gateway members %d, phone members %d", gw, phone)
	}
}
