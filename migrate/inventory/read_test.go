package inventory

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/cutover-dev/cutover/fixtures"
)

const macHint = " (expected the 12 hex digits of a unicast MAC, e.g. 00:04:F2:A1:B2:C3, 00-04-f2-a1-b2-c3, 0004.f2a1.b2c3 or 0004F2A1B2C3)"

func TestSampleFixtureIsValid(t *testing.T) {
	inv, err := ReadFrom(bytes.NewReader(fixtures.InventoryXLSX), "inventory.xlsx", Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantProblems(t, inv)
	if inv.Rows != 60 || len(inv.Devices) != 60 {
		t.Fatalf("rows %d, devices %d; want 60 and 60", inv.Rows, len(inv.Devices))
	}
	var gateways, workspaces, shared, labelled, empty int
	for _, d := range inv.Devices {
		if d.Type == Gateway {
			gateways++
		}
		if d.OwnerType == Workspace {
			workspaces++
		}
		if d.SIPPassword == "" {
			empty++
		}
		if d.Vars["timezone"] == "" {
			t.Errorf("%s: no timezone variable", d.Pos)
		}
		for _, l := range d.Lines {
			if l.Shared {
				shared++
			}
			if l.Label != "" {
				labelled++
			}
		}
	}
	if gateways < 3 || workspaces < 5 || shared < 5 || labelled < 5 || empty < 5 {
		t.Errorf("sample lacks variety: %d gateways, %d workspace devices, %d shared lines, %d labels, %d empty passwords",
			gateways, workspaces, shared, labelled, empty)
	}
}

func TestGeneratedInventoryIsValid(t *testing.T) {
	dir := inTemp(t)
	var buf bytes.Buffer
	if err := fixtures.Generate(&buf, 2000, 7); err != nil {
		t.Fatal(err)
	}
	inv := mustRead(t, writeFile(t, dir+"/big.xlsx", buf.Bytes()), Options{})
	wantProblems(t, inv)
	if len(inv.Devices) != 2000 {
		t.Fatalf("%d devices, want 2000", len(inv.Devices))
	}
	owners := map[string]bool{}
	for _, d := range inv.Devices {
		owners[d.Owner] = true
	}
	for _, d := range inv.Devices {
		for _, l := range d.Lines[1:] {
			if !owners[l.Owner] {
				t.Fatalf("%s: line owner %s owns no device of the inventory", d.Pos, l.Owner)
			}
		}
	}
}

func TestDuplicateMACNamesBothRows(t *testing.T) {
	inTemp(t)
	r2, r3, r4 := okRow(1), okRow(2), okRow(3)
	r4[0] = "805ec0000001" // row 2's MAC, written differently
	inv := mustRead(t, xlsxFile(t, "inv.xlsx", [][]string{stdHeader, r2, r3, r4}), Options{})
	wantProblems(t, inv,
		"inv.xlsx:Devices:2:A: mac 805EC0000001 is also on row 4 (expected each MAC once in the file)",
		"inv.xlsx:Devices:4:A: mac 805EC0000001 is also on row 2 (expected each MAC once in the file)",
	)
	if got := macs(inv); !slices.Equal(got, []string{"805EC0000002"}) {
		t.Errorf("devices %v, want only row 3's", got)
	}
}

func TestBadMACs(t *testing.T) {
	inTemp(t)
	rows := [][]string{stdHeader}
	for i, mac := range []string{"805EC000001", "805EC00000G1", "80:5E:C0:00:01", "01:00:5E:00:00:01", "00:00:00:00:00:00", "FF-FF-FF-FF-FF-FF", "80:5E-C0:00:00:01", ""} {
		r := okRow(i + 1)
		r[0] = mac
		rows = append(rows, r)
	}
	inv := mustRead(t, xlsxFile(t, "inv.xlsx", rows), Options{})
	wantProblems(t, inv,
		`inv.xlsx:Devices:2:A: mac "805EC000001" has 11 hex digits, not 12`+macHint,
		`inv.xlsx:Devices:3:A: mac "805EC00000G1" has a non-hex character 'G'`+macHint,
		`inv.xlsx:Devices:4:A: mac "80:5E:C0:00:01" has 5 groups separated by ":", not 6`+macHint,
		`inv.xlsx:Devices:5:A: mac "01:00:5E:00:00:01" is a multicast address (first octet 01 is odd)`+macHint,
		`inv.xlsx:Devices:6:A: mac "00:00:00:00:00:00" is all zeros`+macHint,
		`inv.xlsx:Devices:7:A: mac "FF-FF-FF-FF-FF-FF" is the broadcast address`+macHint,
		`inv.xlsx:Devices:8:A: mac "80:5E-C0:00:00:01" mixes ':' and '-' separators`+macHint,
		`inv.xlsx:Devices:9:A: mac is empty`+macHint,
	)
	if len(inv.Devices) != 0 {
		t.Errorf("devices %v, want none", macs(inv))
	}
}

func TestBlankRowsInTheMiddleAreSkipped(t *testing.T) {
	inTemp(t)
	bad := okRow(4)
	bad[4] = ""
	rows := [][]string{nil, stdHeader, okRow(1), nil, {"", " ", "\u00a0"}, okRow(2), nil, nil, bad, nil}
	inv := mustRead(t, xlsxFile(t, "inv.xlsx", rows), Options{})
	// The header is on row 2 (row 1 is blank); rows 4, 5, 7, 8 are blank.
	wantProblems(t, inv,
		"inv.xlsx:Devices:9:E: owner is empty (expected the owner's e-mail for a person, or the workspace's name)")
	if inv.Rows != 3 {
		t.Errorf("rows %d, want 3", inv.Rows)
	}
	var rowsSeen []int
	for _, d := range inv.Devices {
		rowsSeen = append(rowsSeen, d.Pos.Row)
	}
	if !slices.Equal(rowsSeen, []int{3, 6}) {
		t.Errorf("device rows %v, want [3 6]", rowsSeen)
	}
}

func TestMergedCells(t *testing.T) {
	inTemp(t)
	r3 := okRow(2)
	r3[6] = "" // location: merged with row 2's
	r5 := okRow(4)
	r5[0] = ""
	inv := mustRead(t, xlsxFile(t, "inv.xlsx", [][]string{stdHeader, okRow(1), r3, okRow(3), r5, okRow(5)}, func(f *excelize.File) {
		if err := f.MergeCell("Devices", "G2", "G3"); err != nil {
			t.Fatal(err)
		}
		if err := f.MergeCell("Devices", "A4", "A5"); err != nil {
			t.Fatal(err)
		}
	}), Options{})
	wantProblems(t, inv,
		"inv.xlsx:Devices:4:A: mac cells A4:A5 are merged (expected one MAC per row; unmerge the cells)")
	if got := macs(inv); !slices.Equal(got, []string{"805EC0000001", "805EC0000002", "805EC0000005"}) {
		t.Fatalf("devices %v", got)
	}
	if loc := inv.Devices[1].Location; loc != "Lyon HQ" {
		t.Errorf("row 3 location %q, want the merged range's value", loc)
	}
}

func TestFormulaCellsUseTheCachedValue(t *testing.T) {
	inTemp(t)
	data := rawRow(1, stdHeader...) +
		rawRow(2, `<c r="REF" t="str"><f>CONCAT("805EC0","000001")</f><v>805EC0000001</v></c>`, "phone", "Yealink", "T54W",
			`<c r="REF" t="str"><f>LOWER("Claire.Martin@acme-dental.example")</f><v>claire.martin@acme-dental.example</v></c>`,
			"person", "Lyon HQ", "", "Str0ng!Pw01")
	inv := mustRead(t, rawXLSX(t, "inv.xlsx", data, ""), Options{})
	wantProblems(t, inv)
	if len(inv.Devices) != 1 || inv.Devices[0].MAC != "805EC0000001" || inv.Devices[0].Owner != "claire.martin@acme-dental.example" {
		t.Fatalf("devices %+v", inv.Devices)
	}
}

func TestMACExcelTurnedIntoANumber(t *testing.T) {
	inTemp(t)
	data := rawRow(1, stdHeader...) +
		rawRow(2, `<c r="REF"><v>1.34E+15</v></c>`, "phone", "Yealink", "T54W", "a@acme-dental.example") +
		rawRow(3, `<c r="REF"><v>1565123456</v></c>`, "phone", "Yealink", "T54W", "b@acme-dental.example") +
		// Typed as text, "1E3400000001" keeps its digits and is a valid MAC.
		rawRow(4, "1E3400000001", "phone", "Yealink", "T54W", "c@acme-dental.example")
	inv := mustRead(t, rawXLSX(t, "inv.xlsx", data, ""), Options{})
	const hint = ": Excel converted this MAC to a number, which loses its digits (expected the column formatted as Text and the MAC typed again)"
	wantProblems(t, inv,
		`inv.xlsx:Devices:2:A: mac "1.34E+15"`+hint,
		`inv.xlsx:Devices:3:A: mac "1565123456"`+hint,
	)
	if got := macs(inv); !slices.Equal(got, []string{"1E3400000001"}) {
		t.Errorf("devices %v", got)
	}
}

func TestSpacesAndNonBreakingSpacesAreTrimmed(t *testing.T) {
	inTemp(t)
	r := []string{"\u00a080:5E:C0:00:00:01 ", " phone", "Yealink\u00a0", " T54W ", "\u00a0claire.martin@acme-dental.example\u00a0", "person ", " Lyon HQ", "", " Str0ng!Pw01\u00a0"}
	inv := mustRead(t, xlsxFile(t, "inv.xlsx", [][]string{{" MAC ", "Type", "MAKE", "Model", "Owner", "Owner Type", "location", "lines", "SIP-Password"}, r}), Options{})
	wantProblems(t, inv)
	d := inv.Devices[0]
	if d.MAC != "805EC0000001" || d.Owner != "claire.martin@acme-dental.example" || d.Location != "Lyon HQ" || d.SIPPassword != "Str0ng!Pw01" || d.Make != "Yealink" {
		t.Errorf("device not trimmed: %+v", d)
	}
}

func TestLineLimits(t *testing.T) {
	inTemp(t)
	owners := func(n int) string {
		var s []string
		for i := range n {
			s = append(s, "Room "+string(rune('A'+i%26))+strings.Repeat("x", i/26))
		}
		return strings.Join(s, ";")
	}
	phone := []string{"0004F2000001", "phone", "Generic", "SIP Phone", "a@acme-dental.example", "person", "", owners(20), ""}
	gw := []string{"00908F000001", "gateway", "AudioCodes", "MP-1288", "Lyon Fax", "workspace", "", owners(100), ""}
	mp114 := []string{"00908F000002", "gateway", "AudioCodes", "MP-114", "Leeds Fax", "workspace", "", owners(4), ""}
	t54 := []string{"805EC0000009", "phone", "Yealink", "T54W", "b@acme-dental.example", "person", "", owners(16), ""}
	okPhone := []string{"0004F2000002", "phone", "Generic", "SIP Phone", "c@acme-dental.example", "person", "", owners(19), ""}
	okGW := []string{"00908F000003", "gateway", "AudioCodes", "MP-1288", "Leeds Door", "workspace", "", owners(99), ""}
	inv := mustRead(t, xlsxFile(t, "inv.xlsx", [][]string{stdHeader, phone, gw, mp114, t54, okPhone, okGW}), Options{})
	wantProblems(t, inv,
		"inv.xlsx:Devices:2:H: lines: phone has 21 lines (expected at most 20 lines on a phone)",
		"inv.xlsx:Devices:3:H: lines: gateway has 101 ports (expected at most 100 ports on a gateway)",
		"inv.xlsx:Devices:4:H: lines: AudioCodes MP-114 has 5 ports (expected at most 4 ports on AudioCodes MP-114, its number of line ports)",
		"inv.xlsx:Devices:5:H: lines: Yealink T54W has 17 lines (expected at most 16 lines on Yealink T54W, its number of line ports)",
	)
	if got := macs(inv); !slices.Equal(got, []string{"0004F2000002", "00908F000003"}) {
		t.Errorf("devices %v", got)
	}
	gwDev := inv.Devices[1]
	if len(gwDev.Lines) != 100 || gwDev.Lines[99].Port != 100 || gwDev.Lines[1].Shared || gwDev.Lines[1].OwnerType != Workspace {
		t.Errorf("gateway ports: %d, last %+v, port 2 %+v", len(gwDev.Lines), gwDev.Lines[len(gwDev.Lines)-1], gwDev.Lines[1])
	}
	if !inv.Devices[0].Lines[1].Shared {
		t.Error("a phone's extra line is not shared by default")
	}
}

func TestPasswords(t *testing.T) {
	inTemp(t)
	weak, r3, r4, r5 := okRow(1), okRow(2), okRow(3), okRow(4)
	weak[8] = "password"
	r4[8] = r3[8] // reused
	r5[8] = ""    // generated later: fine
	inv := mustRead(t, xlsxFile(t, "inv.xlsx", [][]string{stdHeader, weak, r3, r4, r5}), Options{})
	const policy = " (expected at least 8 characters with an upper-case letter, a lower-case letter, a digit and a special character, no spaces)"
	wantProblems(t, inv,
		"inv.xlsx:Devices:2:I: sip_password does not meet the password policy: has no upper-case letter, has no digit, has no special character"+policy,
		"inv.xlsx:Devices:3:I: sip_password is also used on row 4 (expected a different password on every device)",
		"inv.xlsx:Devices:4:I: sip_password is also used on row 3 (expected a different password on every device)",
	)
	for _, p := range problems(inv) {
		if strings.Contains(p, "password\"") || strings.Contains(p, r3[8]) || strings.Contains(p, ": password") {
			t.Errorf("problem echoes a password: %s", p)
		}
	}
	if got := macs(inv); !slices.Equal(got, []string{"805EC0000004"}) {
		t.Errorf("devices %v", got)
	}
}

func TestCatalogAndOwnerRules(t *testing.T) {
	inTemp(t)
	unknown, noOwner, notEmail, badType, mismatch, badOwnerType := okRow(1), okRow(2), okRow(3), okRow(4), okRow(5), okRow(6)
	unknown[3] = "T99"
	noOwner[4] = ""
	notEmail[4] = "Claire Martin"
	badType[1] = "desk phone"
	mismatch[1] = "gateway"
	badOwnerType[5] = "robot"
	ws, lowercase := okRow(7), okRow(8)
	ws[4], ws[5] = "Lyon Lobby", "Workspace"
	lowercase[2], lowercase[3], lowercase[1] = "yealink", "t54w", "" // type from the catalog
	inv := mustRead(t, xlsxFile(t, "inv.xlsx", [][]string{stdHeader, unknown, noOwner, notEmail, badType, mismatch, badOwnerType, ws, lowercase}), Options{})
	wantProblems(t, inv,
		`inv.xlsx:Devices:2:D: make and model "Yealink T99" are not in the model catalog (expected one of Yealink T54W, Yealink T57W, Yealink T46U, Poly VVX 450, Poly Edge E350, Grandstream GRP2614, AudioCodes MP-114, AudioCodes MP-118, AudioCodes MP-1288, Generic SIP Phone)`,
		`inv.xlsx:Devices:3:E: owner is empty (expected the owner's e-mail for a person, or the workspace's name)`,
		`inv.xlsx:Devices:4:E: owner "Claire Martin" is not an e-mail address (expected an e-mail address for a person owner, or owner_type workspace)`,
		`inv.xlsx:Devices:5:B: type "desk phone" is not a device type (expected phone or gateway)`,
		`inv.xlsx:Devices:6:B: type is gateway but the catalog lists Yealink T54W as a phone (expected phone, or an empty cell)`,
		`inv.xlsx:Devices:7:F: owner_type "robot" is not an owner type (expected person or workspace)`,
	)
	if got := macs(inv); !slices.Equal(got, []string{"805EC0000007", "805EC0000008"}) {
		t.Fatalf("devices %v", got)
	}
	if d := inv.Devices[0]; d.OwnerType != Workspace || d.Lines[0].OwnerType != Workspace {
		t.Errorf("workspace device %+v", d)
	}
	if d := inv.Devices[1]; d.Make != "Yealink" || d.Model != "T54W" || d.Type != Phone {
		t.Errorf("catalog spelling not applied: %+v", d)
	}
}

func TestLinesSheet(t *testing.T) {
	inTemp(t)
	gw := []string{"00908F000001", "gateway", "AudioCodes", "MP-118", "Lyon Fax", "workspace", "", "Lyon Door;a@acme-dental.example", ""}
	phone := okRow(1)
	lines := [][]string{
		{"MAC", "Port", "Owner", "Line Type", "Label"},
		{"00:90:8f:00:00:01", "1", "", "", "Fax"},
		{"00908f000001", "3", "b@acme-dental.example", "", "Nurse"},
		{"00908f000001", "4", "Lyon X-Ray", "primary", "X-ray"},
		{"805ec0000001", "2", "c@acme-dental.example", "", "Dr C"},
		{"805ec0000001", "1", "someone@acme-dental.example", "", ""},
		{"805EC0000099", "2", "d@acme-dental.example", "", ""},
		{"805ec0000001", "x", "d@acme-dental.example", "", ""},
		{"805ec0000001", "2", "e@acme-dental.example", "", ""},
		{"00908f000001", "5", "", "primary", ""},
		{"00908f000001", "6", "f@acme-dental.example", "both", ""},
	}
	inv := mustRead(t, xlsxFile(t, "inv.xlsx", [][]string{stdHeader, gw, phone}, func(f *excelize.File) {
		if _, err := f.NewSheet("Lines"); err != nil {
			t.Fatal(err)
		}
		setRows(t, f, "Lines", lines)
	}), Options{})
	wantProblems(t, inv,
		`inv.xlsx:Lines:6:C: Owner "someone@acme-dental.example": port 1 is the device owner's own line ("user01@acme-dental.example") (expected the same owner as the devices sheet, or an empty cell)`,
		`inv.xlsx:Lines:7:A: MAC 805EC0000099 is not on the devices sheet (expected a MAC listed on the sheet Devices)`,
		`inv.xlsx:Lines:8:B: Port "x" is not a port number (expected a port number of 1 or more)`,
		`inv.xlsx:Lines:9:B: Port 2 of 805EC0000001 is also on row 5 (expected each device port once)`,
		`inv.xlsx:Lines:10:C: Owner is empty for port 5, which the devices sheet does not list (expected the owner of the line on this port)`,
		`inv.xlsx:Lines:11:D: Line Type "both" is not a line type (expected primary or shared)`,
	)
	// Both devices have a problem on the Lines sheet: neither is kept.
	if len(inv.Devices) != 0 {
		t.Errorf("devices %v", macs(inv))
	}
}

func TestLinesSheetApplied(t *testing.T) {
	inTemp(t)
	gw := []string{"00908F000001", "gateway", "AudioCodes", "MP-118", "Lyon Fax", "workspace", "", "Lyon Door;a@acme-dental.example", ""}
	lines := [][]string{
		{"mac", "port", "owner", "line_type", "label"},
		{"00:90:8f:00:00:01", "1", "", "", "Fax"},
		{"00908f000001", "3", "b@acme-dental.example", "", "Nurse"},
		{"00908f000001", "5", "Lyon X-Ray", "shared", "X-ray"},
	}
	inv := mustRead(t, xlsxFile(t, "inv.xlsx", [][]string{stdHeader, gw}, func(f *excelize.File) {
		if _, err := f.NewSheet("Lines"); err != nil {
			t.Fatal(err)
		}
		setRows(t, f, "Lines", lines)
	}), Options{})
	wantProblems(t, inv)
	got := inv.Devices[0].Lines
	want := []Line{
		{Port: 1, Owner: "Lyon Fax", OwnerType: Workspace, Label: "Fax"},
		{Port: 2, Owner: "Lyon Door", OwnerType: Workspace},
		{Port: 3, Owner: "b@acme-dental.example", OwnerType: Person, Label: "Nurse"},
		{Port: 5, Owner: "Lyon X-Ray", OwnerType: Workspace, Shared: true, Label: "X-ray"},
	}
	for i := range got {
		got[i].Pos = Pos{}
	}
	if !slices.Equal(got, want) {
		t.Errorf("lines\n got %+v\nwant %+v", got, want)
	}
}

func TestUnreadableInputs(t *testing.T) {
	dir := inTemp(t)
	valid := xlsxFile(t, "valid.xlsx", [][]string{stdHeader, okRow(1)})
	b, err := os.ReadFile(valid)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, "empty.xlsx", nil)
	writeFile(t, "csv.xlsx", []byte("mac,make,model,owner\n805EC0000001,Yealink,T54W,a@acme-dental.example\n"))
	writeFile(t, "truncated.xlsx", b[:len(b)/2])
	writeFile(t, "binary.csv", []byte{0x7f, 'E', 'L', 'F', 0, 0, 1})
	writeFile(t, "latin1.csv", []byte("mac;owner\n805EC0000001;Ren\xe9\n"))
	xlsxFile(t, "nomac.xlsx", [][]string{{"address", "owner"}, {"805EC0000001", "a@acme-dental.example"}})
	xlsxFile(t, "blank.xlsx", [][]string{{"", " "}})
	writeZip(t, "calc.ods", map[string]string{"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<office:document-content/>"})
	writeZip(t, "letter.xlsx", map[string]string{"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})
	f := excelize.NewFile()
	if err := f.SetCellStr("Sheet1", "A1", "mac"); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs("encrypted.xlsx", excelize.Options{Password: "s3cret"}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, tc := range []struct{ file, want string }{
		{"missing.xlsx", "reading missing.xlsx: no such file: unreadable inventory"},
		{dir, "reading " + dir + ": is a directory: unreadable inventory"},
		{"empty.xlsx", "reading empty.xlsx: the file is empty (0 bytes): unreadable inventory"},
		{"csv.xlsx", "reading csv.xlsx: named .xlsx but holds CSV text, not a workbook; rename it to .csv or save it from a spreadsheet as Excel Workbook (.xlsx): unreadable inventory"},
		{"truncated.xlsx", "reading truncated.xlsx: not a valid .xlsx file (damaged or truncated zip: zip: not a valid zip file): unreadable inventory"},
		{"binary.csv", "reading binary.csv: not a spreadsheet (neither an .xlsx workbook nor CSV text): unreadable inventory"},
		{"latin1.csv", "reading latin1.csv: text that is not UTF-8; save it as CSV UTF-8 or as an .xlsx workbook: unreadable inventory"},
		{"nomac.xlsx", "reading nomac.xlsx: no mac column in the header row (row 1 of sheet Devices); expected headers such as mac, make, model, owner: unreadable inventory"},
		{"blank.xlsx", "reading blank.xlsx: sheet Devices is empty: no header row: unreadable inventory"},
		{"calc.ods", "reading calc.ods: an OpenDocument spreadsheet (.ods), not an .xlsx workbook; save it as Excel Workbook (.xlsx) or CSV UTF-8: unreadable inventory"},
		{"letter.xlsx", "reading letter.xlsx: a Word document, not an .xlsx workbook; save it as Excel Workbook (.xlsx) or CSV UTF-8: unreadable inventory"},
		{"encrypted.xlsx", "reading encrypted.xlsx: the workbook is encrypted (password-protected) or a legacy .xls file; save an unprotected .xlsx copy: unreadable inventory"},
	} {
		inv, err := Read(tc.file, Options{})
		if !errors.Is(err, ErrUnreadable) {
			t.Errorf("%s: err %v (inventory %v), want ErrUnreadable", tc.file, err, inv)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.file, err, tc.want)
		}
	}
}

func TestMissingRequiredColumn(t *testing.T) {
	inTemp(t)
	inv := mustRead(t, xlsxFile(t, "inv.xlsx", [][]string{{"mac", "make", "model"}, {"805EC0000001", "Yealink", "T54W"}}), Options{})
	wantProblems(t, inv, "inv.xlsx:Devices:1:: no owner column in the header row (expected a column headed owner)")
	if len(inv.Devices) != 0 {
		t.Error("devices kept despite a missing required column")
	}
}

func TestCSV(t *testing.T) {
	inTemp(t)
	semi := "\ufeffMAC;Type;Make;Model;Owner;Owner_Type;Location;Lines;SIP Password;Language\n" +
		"80:5E:C0:00:00:01;phone;Yealink;T54W;claire.martin@acme-dental.example;person;Lyon HQ;;Str0ng!Pw01;fr\n" +
		"\n" +
		"0004.f200.0002;phone;Poly;VVX 450;Lyon Lobby;workspace;Lyon HQ;\"claire.martin@acme-dental.example;x@acme-dental.example\";;fr\n" +
		"0004F2000003;phone;Poly;VVX 999;b@acme-dental.example;person;Lyon HQ;;;fr\n"
	inv := mustRead(t, writeFile(t, "inv.csv", []byte(semi)), Options{})
	wantProblems(t, inv,
		`inv.csv::5:D: make and model "Poly VVX 999" are not in the model catalog (expected one of Yealink T54W, Yealink T57W, Yealink T46U, Poly VVX 450, Poly Edge E350, Grandstream GRP2614, AudioCodes MP-114, AudioCodes MP-118, AudioCodes MP-1288, Generic SIP Phone)`)
	if got := macs(inv); !slices.Equal(got, []string{"805EC0000001", "0004F2000002"}) {
		t.Fatalf("devices %v", got)
	}
	if d := inv.Devices[1]; len(d.Lines) != 3 || d.Vars["language"] != "fr" || d.Pos.Row != 4 {
		t.Errorf("device %+v", d)
	}

	comma := "mac,make,model,owner\n805EC0000001,Yealink,T54W,a@acme-dental.example\n805EC000000Z,Yealink,T54W,b@acme-dental.example\n\"805EC0000003,Yealink,T54W,c@acme-dental.example\n"
	inv = mustRead(t, writeFile(t, "comma.txt", []byte(comma)), Options{})
	wantProblems(t, inv,
		`comma.txt::3:A: mac "805EC000000Z" has a non-hex character 'Z'`+macHint,
		`comma.txt::4:: malformed CSV at line 4, column 50: extraneous or missing " in quoted-field (expected valid CSV: quotes around whole fields, doubled inside)`,
	)
}

func TestLabInventory(t *testing.T) {
	inTemp(t)
	rows := [][]string{
		{"mac", "make", "model", "sip_user", "sip_password", "domain"},
		{"805EC0000001", "Yealink", "T54W", "lab-0001", "Str0ng!Pw01", "lab.cutover.example"},
		{"805EC0000002", "Yealink", "T54W", "", "", "bad domain"},
	}
	inv := mustRead(t, xlsxFile(t, "lab.xlsx", rows), Options{Lab: true})
	wantProblems(t, inv,
		"lab.xlsx:Devices:3:D: sip_user is empty (expected the SIP user name the device registers with)",
		"lab.xlsx:Devices:3:E: sip_password is empty (expected the SIP password the device registers with)",
		`lab.xlsx:Devices:3:F: domain "bad domain" is not a domain name (expected a domain name, e.g. 12345678.eu.bcld.webex.com)`,
	)
	if len(inv.Devices) != 1 || inv.Devices[0].SIPUser != "lab-0001" || inv.Devices[0].Domain != "lab.cutover.example" || inv.Devices[0].Type != Phone {
		t.Errorf("devices %+v", inv.Devices)
	}
	// The same file is not a migration inventory: no owner column.
	inv = mustRead(t, "lab.xlsx", Options{})
	if inv.Valid() {
		t.Error("lab inventory valid for migration")
	}
}

func TestVarsAndDuplicateHeaders(t *testing.T) {
	inTemp(t)
	h := append(slices.Clone(stdHeader), "Time Zone", "template", "mac")
	r := append(okRow(1), "Europe/Paris", "yealink-custom", "805EC0000009")
	inv := mustRead(t, xlsxFile(t, "inv.xlsx", [][]string{h, r}), Options{})
	wantProblems(t, inv, `inv.xlsx:Devices:1:L: column "mac" repeats column A ("mac"); the first one is used (expected each column once)`)
	d := inv.Devices[0]
	if d.Vars["timezone"] != "Europe/Paris" || d.Template != "yealink-custom" || d.MAC != "805EC0000001" || len(d.Vars) != 1 {
		t.Errorf("device %+v", d)
	}
}

func TestReadFromMatchesRead(t *testing.T) {
	inTemp(t)
	p := xlsxFile(t, "inv.xlsx", [][]string{stdHeader, okRow(1), okRow(2)})
	b, _ := os.ReadFile(p)
	a := mustRead(t, p, Options{})
	c, err := ReadFrom(bytes.NewReader(b), "inv.xlsx", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(macs(a), macs(c)) || len(c.Devices) != 2 {
		t.Errorf("Read %v, ReadFrom %v", macs(a), macs(c))
	}
}

func TestTitleRowAboveTheHeader(t *testing.T) {
	inTemp(t)
	bad := okRow(2)
	bad[2] = ""
	rows := [][]string{{"Acme Dental: phone inventory, exported 2026-11-20"}, nil, stdHeader, okRow(1), bad}
	inv := mustRead(t, xlsxFile(t, "inv.xlsx", rows), Options{})
	wantProblems(t, inv, "inv.xlsx:Devices:5:C: make is empty (expected a make from the model catalog, e.g. Yealink)")
	if len(inv.Devices) != 1 || inv.Devices[0].Pos.Row != 4 {
		t.Errorf("devices %+v", inv.Devices)
	}
}

// An empty variable cell reaches the templates as an empty value, not as a
// missing column, wherever it stands in the row (a spreadsheet drops a row's
// trailing empty cells).
func TestEmptyVariableCellIsKept(t *testing.T) {
	inTemp(t)
	h := append(slices.Clone(stdHeader), "language", "timezone")
	rows := [][]string{h,
		append(okRow(1), "", "Europe/Paris"),
		append(okRow(2), "fr", ""),
		okRow(3),
	}
	inv := mustRead(t, xlsxFile(t, "inv.xlsx", rows), Options{})
	if len(inv.Devices) != 3 {
		t.Fatalf("%d devices, problems %v", len(inv.Devices), inv.Problems)
	}
	for i, want := range []map[string]string{
		{"language": "", "timezone": "Europe/Paris"},
		{"language": "fr", "timezone": ""},
		{"language": "", "timezone": ""},
	} {
		got := inv.Devices[i].Vars
		for k, v := range want {
			if gv, ok := got[k]; !ok || gv != v {
				t.Errorf("row %d: Vars[%q] = %q (present %v), want %q", i+2, k, gv, ok, v)
			}
		}
	}
}
