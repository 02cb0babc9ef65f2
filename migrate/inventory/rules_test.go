package inventory

import (
	"strings"
	"testing"

	"github.com/cutover-dev/cutover/render"
)

// TestRenderRulesAtValidate: a device render would refuse is a located
// problem at validate, and left out of Devices.
func TestRenderRulesAtValidate(t *testing.T) {
	inTemp(t)
	csv := "MAC,Type,Make,Model,Owner,Owner_Type,Location,Lines,SIP Password\n" +
		"00908F000001,gateway,AudioCodes,MP-114,Lyon Lobby,workspace,Lyon HQ,Lyon Lobby;Lyon Fax,\"Ab1!\"\"quote9\"\n" +
		"00908F000002,gateway,AudioCodes,MP-114,Lyon Lobby 2,workspace,Lyon HQ,Lyon Lobby 2;Lyon Fax 2,Ab1!noquote9\n"
	path := writeFile(t, "gw.csv", []byte(csv))
	without := mustRead(t, path, Options{})
	if len(without.Problems) != 0 {
		t.Fatalf("without rules: %v", without.Problems)
	}
	inv := mustRead(t, path, Options{Rules: render.Rules{}})
	if len(inv.Problems) != 1 {
		t.Fatalf("problems %v, want the AudioCodes password with a double quote", inv.Problems)
	}
	p := inv.Problems[0]
	if p.Pos.Row != 2 || p.Pos.Column != "I" || !strings.Contains(p.Message, "double quote") || strings.Contains(p.Message, "quote9") {
		t.Errorf("problem %s", p)
	}
	if got := macs(inv); len(got) != 1 || got[0] != "00908F000002" {
		t.Errorf("devices %v", got)
	}
}

type portRules struct{}

func (portRules) CheckDevice(vendor, model string, ports []int, labels map[int]string, password string, report func(int, string, string)) {
	if len(ports) > 1 {
		report(ports[1], "label", "the label contains a line break")
	}
	report(0, "tls-1.2", "no TLS 1.2")
}

// TestRenderRulesLocateLinesAndModel: a line's problem is at its cell, a
// device's at the model cell.
func TestRenderRulesLocateLinesAndModel(t *testing.T) {
	inTemp(t)
	csv := "MAC,Type,Make,Model,Owner,Owner_Type,Location,Lines\n" +
		"00908F000003,gateway,AudioCodes,MP-114,Lyon Lobby,workspace,Lyon HQ,Lyon Lobby;Lyon Fax\n"
	inv := mustRead(t, writeFile(t, "gw.csv", []byte(csv)), Options{Rules: portRules{}})
	got := map[string]bool{}
	for _, p := range inv.Problems {
		got[p.Pos.Column+":"+p.Message] = true
	}
	if !got["H:Lines: port 2: the label contains a line break"] || !got["D:Model: no TLS 1.2"] {
		t.Errorf("problems %v", inv.Problems)
	}
}
