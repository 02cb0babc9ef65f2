package inventory

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// rowSource yields the rows of one sheet (or of a CSV file) in order.
type rowSource interface {
	Next() bool
	Row() int        // 1-based spreadsheet row (CSV: the line the record starts on)
	Cells() []string // raw cell values, index 0 = column A
	Err() error
	Sheet() string
	Merges() []mergeRange
}

// Canonical column keys: normalised header names (normalizeKey).
const (
	keyMAC         = "mac"
	keyType        = "type"
	keyMake        = "make"
	keyModel       = "model"
	keyOwner       = "owner"
	keyOwnerType   = "ownertype"
	keyLocation    = "location"
	keyLines       = "lines"
	keySIPPassword = "sippassword"
	keyTemplate    = "template"
	keySIPUser     = "sipuser"
	keyDomain      = "domain"
	keyPort        = "port"
	keyLineType    = "linetype"
	keyLabel       = "label"
	keyWebexModel  = "webexmodel"
)

// deviceColumns maps the normalised headers the Devices sheet understands
// (a few common synonyms included) to their canonical key.
var deviceColumns = map[string]string{
	"mac": keyMAC, "macaddress": keyMAC,
	"type": keyType, "devicetype": keyType,
	"make": keyMake, "manufacturer": keyMake,
	"model": keyModel,
	"owner": keyOwner, "ownertype": keyOwnerType,
	"location":    keyLocation,
	"lines":       keyLines,
	"sippassword": keySIPPassword,
	"template":    keyTemplate,
	"sipuser":     keySIPUser, "domain": keyDomain,
	"webexmodel": keyWebexModel,
}

var lineColumns = map[string]string{
	"mac": keyMAC, "macaddress": keyMAC, "port": keyPort, "owner": keyOwner,
	"ownertype": keyOwnerType, "linetype": keyLineType, "label": keyLabel,
}

// The headers as the format spells them, for messages.
var spelled = map[string]string{
	keyMAC: "mac", keyType: "type", keyMake: "make", keyModel: "model", keyOwner: "owner",
	keyOwnerType: "owner_type", keyLocation: "location", keyLines: "lines", keySIPPassword: "sip_password",
	keyTemplate: "template", keySIPUser: "sip_user", keyDomain: "domain", keyPort: "port",
	keyLineType: "line_type", keyLabel: "label", keyWebexModel: "webex_model",
}

const macExpected = "the 12 hex digits of a unicast MAC, e.g. 00:04:F2:A1:B2:C3, 00-04-f2-a1-b2-c3, 0004.f2a1.b2c3 or 0004F2A1B2C3"

// header is a sheet's header row, mapped.
type header struct {
	row     int
	col     map[string]int // canonical key -> 0-based column
	names   []string       // header text by column, trimmed
	letters []string       // column letters, computed once
	vars    []varColumn
}

type varColumn struct {
	col int
	key string
}

// draft is a Devices row on its way to becoming a Device.
type draft struct {
	dev       Device
	bad       bool
	model     *Model // nil: not in the catalog
	overrides []override
}

// override is a Lines-sheet row for one device.
type override struct {
	port     int
	owner    string
	ownerTyp OwnerType
	lineType string
	label    string
	pos      Pos // the row's port cell
	ownerPos Pos
}

type parser struct {
	ctx         context.Context
	file, sheet string
	opts        Options
	cat         *Catalog
	inv         *Inventory
	h           header
	missing     bool // a required column is missing: no row can be valid
	refused     int  // rows left out before parsing (a cell over the limit)
	drafts      []*draft
	macs        dupIndex // MAC -> drafts
	passwords   dupIndex // password -> drafts
	keyMerges   []mergeRange
	interned    map[string]string
	sharedVars  map[string]map[string]string
}

// intern shares the storage of values that repeat down a column (locations,
// template variables): 100,000 rows hold a handful of distinct ones.
func (p *parser) intern(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := p.interned[s]; ok {
		return v
	}
	if len(p.interned) < 4096 {
		p.interned[s] = s
	}
	return s
}

func newParser(ctx context.Context, file, sheet string, opts Options) *parser {
	cat := opts.Catalog
	if cat == nil {
		cat = DefaultCatalog()
	}
	return &parser{
		ctx: ctx, file: file, sheet: sheet, opts: opts, cat: cat,
		inv:        &Inventory{File: file, Sheet: sheet},
		macs:       newDupIndex(),
		passwords:  newDupIndex(),
		interned:   map[string]string{},
		sharedVars: map[string]map[string]string{},
	}
}

// pos locates a 0-based column of a row of sheet.
func (p *parser) pos(sheet string, h *header, row, col int) Pos {
	ps := Pos{File: p.file, Sheet: sheet, Row: row}
	if col >= 0 {
		if col < len(h.letters) {
			ps.Column = h.letters[col]
		} else {
			ps.Column, _ = excelize.ColumnNumberToName(col + 1)
		}
		if col < len(h.names) {
			ps.Header = h.names[col]
		}
	}
	return ps
}

// add records a problem, and marks d (if any) invalid. Past MaxProblems
// problems are only counted: a million broken rows would otherwise cost
// gigabytes of messages nobody reads.
func (p *parser) add(d *draft, pos Pos, expected, format string, a ...any) {
	if d != nil {
		d.bad = true
	}
	if len(p.inv.Problems) >= MaxProblems {
		p.inv.Unlisted++
		return
	}
	p.inv.Problems = append(p.inv.Problems, Problem{Pos: pos, Message: fmt.Sprintf(format, a...), Expected: expected})
}

// name is the header text of a column as the file writes it, or the format's
// spelling when the column is absent.
func (h *header) name(key string) string {
	if c, ok := h.col[key]; ok && c < len(h.names) && h.names[c] != "" {
		return h.names[c]
	}
	return spelled[key]
}

func blank(cells []string) bool {
	for _, c := range cells {
		if trimCell(c) != "" {
			return false
		}
	}
	return true
}

// mapHeader reads a header row against the known columns; unknown headers
// become template variables when vars is true.
func (p *parser) mapHeader(sheet string, row int, cells []string, known map[string]string, vars bool) header {
	h := header{row: row, col: map[string]int{}, names: make([]string, len(cells)), letters: make([]string, len(cells)+1)}
	for i, c := range cells {
		h.names[i] = trimCell(c)
	}
	for i := range h.letters {
		h.letters[i], _ = excelize.ColumnNumberToName(i + 1)
	}
	for i, name := range h.names {
		k := normalizeKey(name)
		if k == "" {
			continue
		}
		key, ok := known[k]
		if !ok {
			if !vars {
				continue
			}
			// Two columns naming one variable ("timezone", "TimeZone")
			// would leave the template to whichever came last.
			if j := slices.IndexFunc(h.vars, func(v varColumn) bool { return v.key == k }); j >= 0 {
				prev := h.vars[j].col
				p.add(nil, p.pos(sheet, &h, row, i), "each column once",
					"column %q names the same template variable as column %s (%q); rename or remove one", name, p.pos(sheet, &h, row, prev).Column, h.names[prev])
				continue
			}
			h.vars = append(h.vars, varColumn{col: i, key: k})
			continue
		}
		if prev, dup := h.col[key]; dup {
			p.add(nil, p.pos(sheet, &h, row, i), "each column once",
				"column %q repeats column %s (%q); the first one is used", name, p.pos(sheet, &h, row, prev).Column, h.names[prev])
			continue
		}
		h.col[key] = i
	}
	return h
}

// readDevices reads the devices sheet (or CSV file): header, then rows.
func (p *parser) readDevices(src rowSource) error {
	var (
		merges     *mergeFiller
		haveHeader bool
		firstRow   int
		firstCells []string
		seen       int
	)
	for n := 0; src.Next(); n++ {
		if n%1024 == 0 && p.ctx.Err() != nil {
			return fmt.Errorf("reading %s: %w", p.file, p.ctx.Err())
		}
		if b, ok := src.(interface{ Broken() string }); ok && b.Broken() != "" {
			p.add(nil, Pos{File: p.file, Sheet: p.sheet, Row: src.Row()}, "valid CSV: quotes around whole fields, doubled inside", "%s", b.Broken())
			continue
		}
		cells := src.Cells()
		if !p.checkCells(p.sheet, &p.h, src.Row(), cells) {
			p.refused++
			continue
		}
		if !haveHeader {
			if blank(cells) {
				continue
			}
			// A title or a note may sit above the header: the header is the
			// first row naming a mac column, looked for in the first few rows.
			if firstRow == 0 {
				firstRow, firstCells = src.Row(), cells
			}
			if !hasColumn(cells, keyMAC) {
				if seen++; seen < headerSearchRows {
					continue
				}
				break
			}
			haveHeader = true
			if err := p.deviceHeader(src.Row(), cells); err != nil {
				return err
			}
			merges = newMergeFiller(src.Merges(), src.Row())
			p.checkKeyMerges(src.Merges())
			continue
		}
		cells = merges.fill(src.Row(), cells)
		if blank(cells) {
			continue // blank rows anywhere are layout, not data
		}
		p.deviceRow(src.Row(), cells)
	}
	if err := src.Err(); err != nil {
		if p.ctx.Err() != nil {
			return fmt.Errorf("reading %s: %w", p.file, p.ctx.Err())
		}
		return unreadable(p.file, "reading %s: %v", sheetLabel(src.Sheet()), err)
	}
	if !haveHeader && firstRow == 0 {
		return unreadable(p.file, "%s is empty: no header row", sheetLabel(src.Sheet()))
	}
	if !haveHeader {
		return p.deviceHeader(firstRow, firstCells) // says what is missing
	}
	return nil
}

// headerSearchRows is how many non-blank rows may precede the header.
const headerSearchRows = 10

func hasColumn(cells []string, key string) bool {
	for _, c := range cells {
		if deviceColumns[normalizeKey(c)] == key {
			return true
		}
	}
	return false
}

func sheetLabel(s string) string {
	if s == "" {
		return "the CSV file"
	}
	return "sheet " + s
}

func (p *parser) required() []string {
	if p.opts.Lab {
		return []string{keyMAC, keyMake, keyModel, keySIPUser, keySIPPassword, keyDomain}
	}
	return []string{keyMAC, keyMake, keyModel, keyOwner}
}

func (p *parser) deviceHeader(row int, cells []string) error {
	p.h = p.mapHeader(p.sheet, row, cells, deviceColumns, true)
	p.inv.HeaderRow = row
	if _, ok := p.h.col[keyMAC]; !ok {
		where := "row " + strconv.Itoa(row)
		if p.sheet != "" {
			where += " of sheet " + p.sheet
		}
		return unreadable(p.file, "no mac column in the header row (%s); expected headers such as %s",
			where, strings.Join(p.expectedHeaders(), ", "))
	}
	if !p.opts.Lab {
		// sip_user and domain are a lab inventory's: in a migration Webex
		// assigns both, and reading them silently would hide a mistake.
		for _, k := range []string{keySIPUser, keyDomain} {
			if c, ok := p.h.col[k]; ok {
				p.add(nil, p.pos(p.sheet, &p.h, row, c), "no "+spelled[k]+" column in a migration inventory (Webex assigns it); rename it to pass it to a template",
					"column %q is for lab inventories (cutover certify --inventory)", p.h.names[c])
			}
		}
	}
	for _, k := range p.required()[1:] {
		if _, ok := p.h.col[k]; !ok {
			p.missing = true
			p.add(nil, Pos{File: p.file, Sheet: p.sheet, Row: row}, "a column headed "+spelled[k],
				"no %s column in the header row", spelled[k])
		}
	}
	return nil
}

func (p *parser) expectedHeaders() []string {
	var out []string
	for _, k := range p.required() {
		out = append(out, spelled[k])
	}
	return out
}

// checkKeyMerges reports merged ranges over the mac column: one MAC per row
// is the key of everything, so a merged one cannot be read as anything.
func (p *parser) checkKeyMerges(merges []mergeRange) {
	col := p.h.col[keyMAC] + 1
	for _, m := range merges {
		if m.r2 <= p.h.row || col < m.c1 || col > m.c2 {
			continue
		}
		p.keyMerges = append(p.keyMerges, m)
		p.add(nil, p.pos(p.sheet, &p.h, max(m.r1, p.h.row+1), col-1), "one MAC per row; unmerge the cells",
			"%s cells %s are merged", p.h.name(keyMAC), m.ref)
	}
}

func (p *parser) inKeyMerge(row int) bool {
	for _, m := range p.keyMerges {
		if row >= m.r1 && row <= m.r2 {
			return true
		}
	}
	return false
}

// get returns the trimmed value of a column, its position, and whether the
// column exists.
func (p *parser) get(cells []string, row int, key string) (string, Pos, bool) {
	c, ok := p.h.col[key]
	if !ok {
		return "", Pos{}, false
	}
	v := ""
	if c < len(cells) {
		v = trimCell(cells[c])
	}
	return v, p.pos(p.sheet, &p.h, row, c), true
}

func (p *parser) deviceRow(row int, cells []string) {
	p.inv.Rows++
	d := &draft{}
	idx := len(p.drafts)
	p.drafts = append(p.drafts, d)
	dev := &d.dev
	macRaw, macPos, _ := p.get(cells, row, keyMAC)
	dev.Pos = macPos

	// mac
	switch {
	case p.inKeyMerge(row):
		d.bad = true // reported once for the whole range
	case macRaw == "":
		p.add(d, macPos, macExpected, "%s is empty", macPos.Header)
	default:
		mac, err := NormalizeMAC(macRaw)
		switch {
		case err == nil:
			dev.MAC = mac
			p.macs.add(mac, idx)
		case looksLikeExcelNumber(macRaw):
			p.add(d, macPos, "the column formatted as Text and the MAC typed again",
				"%s %q: Excel converted this MAC to a number, which loses its digits", macPos.Header, macRaw)
		default:
			p.add(d, macPos, macExpected, "%s %q %v", macPos.Header, macRaw, err)
		}
	}

	// make, model, type
	mk, mkPos, hasMake := p.get(cells, row, keyMake)
	md, mdPos, hasModel := p.get(cells, row, keyModel)
	dev.Make, dev.Model = mk, md
	if hasMake && mk == "" {
		p.add(d, mkPos, "a make from the model catalog, e.g. Yealink", "%s is empty", mkPos.Header)
	}
	if hasModel && md == "" {
		p.add(d, mdPos, "a model from the model catalog, e.g. T54W", "%s is empty", mdPos.Header)
	}
	if mk != "" && md != "" {
		if i, ok := p.cat.byKey[catalogKey(mk, md)]; ok {
			m := &p.cat.models[i]
			d.model = m
			dev.Make, dev.Model = m.Make, m.Model
		} else {
			p.add(d, mdPos, "one of "+p.catalogList(), "make and model %q are not in the model catalog", mk+" "+md)
		}
	}
	typ, typPos, _ := p.get(cells, row, keyType)
	switch k := Kind(strings.ToLower(typ)); {
	case typ == "":
		if d.model != nil {
			dev.Type = d.model.Type
		}
	case k != Phone && k != Gateway:
		p.add(d, typPos, "phone or gateway", "%s %q is not a device type", typPos.Header, typ)
	case d.model != nil && k != d.model.Type:
		p.add(d, typPos, string(d.model.Type)+", or an empty cell", "%s is %s but the catalog lists %s %s as a %s",
			typPos.Header, k, d.model.Make, d.model.Model, d.model.Type)
	default:
		dev.Type = k
	}

	// owner
	owner, ownerPos, _ := p.get(cells, row, keyOwner)
	ot, otPos, _ := p.get(cells, row, keyOwnerType)
	dev.Owner, dev.OwnerType, dev.OwnerCell = owner, Person, ownerPos
	switch OwnerType(strings.ToLower(ot)) {
	case "", Person:
	case Workspace:
		dev.OwnerType = Workspace
	default:
		if !p.opts.Lab {
			p.add(d, otPos, "person or workspace", "%s %q is not an owner type", otPos.Header, ot)
		}
	}
	if !p.opts.Lab {
		if _, ok := p.h.col[keyOwner]; ok {
			switch {
			case owner == "":
				p.add(d, ownerPos, "the owner's e-mail for a person, or the workspace's name", "%s is empty", ownerPos.Header)
			case dev.OwnerType == Person && len(owner) > MaxEmailLen:
				p.add(d, ownerPos, fmt.Sprintf("an e-mail address of at most %d characters", MaxEmailLen),
					"%s is %d characters long, starting %q", ownerPos.Header, utf8.RuneCountInString(owner), clipValue(owner))
			case dev.OwnerType == Person && !looksLikeEmail(owner):
				p.add(d, ownerPos, "an e-mail address for a person owner, or owner_type workspace",
					"%s %q is not an e-mail address", ownerPos.Header, clipValue(owner))
			}
		}
	}
	if owner != "" {
		dev.Lines = append(dev.Lines, Line{Port: 1, Owner: owner, OwnerType: dev.OwnerType, Pos: ownerPos})
	}

	// extra lines / ports
	if lines, linesPos, _ := p.get(cells, row, keyLines); lines != "" {
		port := 1
		for entry := range strings.FieldsFuncSeq(lines, func(r rune) bool { return r == ';' || r == '\n' || r == '\r' }) {
			entry = trimCell(entry)
			if entry == "" {
				continue
			}
			port++
			l := Line{Port: port, Owner: entry, OwnerType: inferOwnerType(entry), Shared: dev.Type != Gateway, Pos: linesPos}
			if l.OwnerType == Person && (len(entry) > MaxEmailLen || !looksLikeEmail(entry)) && !p.opts.Lab {
				p.add(d, linesPos, "owners separated by ';', each an e-mail or a workspace name",
					"%s entry %d %q is not an e-mail address", linesPos.Header, port-1, clipValue(entry))
			}
			dev.Lines = append(dev.Lines, l)
		}
	}

	// password
	if pw, pwPos, ok := p.get(cells, row, keySIPPassword); ok {
		dev.SIPPassword = pw
		switch {
		case pw == "" && p.opts.Lab:
			p.add(d, pwPos, "the SIP password the device registers with", "%s is empty", pwPos.Header)
		case pw == "":
		default:
			if err := CheckPassword(pw); err != nil {
				p.add(d, pwPos, PasswordPolicy, "%s does not meet the password policy: %s",
					pwPos.Header, strings.TrimPrefix(err.Error(), ErrWeakPassword.Error()+": "))
			}
			p.passwords.add(pw, idx)
		}
	}

	// lab columns, the rest
	if u, uPos, ok := p.get(cells, row, keySIPUser); ok {
		dev.SIPUser = u
		if u == "" && p.opts.Lab {
			p.add(d, uPos, "the SIP user name the device registers with", "%s is empty", uPos.Header)
		}
	}
	if dom, domPos, ok := p.get(cells, row, keyDomain); ok {
		dev.Domain = dom
		switch {
		case dom == "" && p.opts.Lab:
			p.add(d, domPos, "the SIP domain, e.g. 12345678.eu.bcld.webex.com", "%s is empty", domPos.Header)
		case dom != "" && strings.ContainsFunc(dom, func(r rune) bool { return isSpace(r) || r == '/' || r == '@' }):
			p.add(d, domPos, "a domain name, e.g. 12345678.eu.bcld.webex.com", "%s %q is not a domain name", domPos.Header, dom)
		}
	}
	loc, locPos, _ := p.get(cells, row, keyLocation)
	dev.LocationCell = locPos
	dev.Location = p.intern(loc)
	tmpl, _, _ := p.get(cells, row, keyTemplate)
	dev.Template = p.intern(tmpl)
	// The Webex model is matched against the org's live catalog at plan
	// time; a webex_model cell overrides the match, and errors point at the
	// cell that named the model.
	dev.ModelCell = mdPos
	if wm, wmPos, _ := p.get(cells, row, keyWebexModel); wm != "" {
		dev.WebexModel, dev.ModelCell = p.intern(wm), wmPos
	}
	dev.Vars = p.vars(cells)
}

// vars collects the template variables of a row: every variable column the
// row reaches, an empty cell as "" (so a template can tell an empty cell from
// a column the inventory lacks). Rows with the same values share one map (a
// timezone or language column repeats down 100,000 rows): Device.Vars is
// read-only.
func (p *parser) vars(cells []string) map[string]string {
	var sig strings.Builder
	if len(p.h.vars) == 0 {
		return nil
	}
	for _, v := range p.h.vars {
		sig.WriteString(strconv.Itoa(v.col))
		sig.WriteByte(0)
		sig.WriteString(p.cell(cells, v.col))
		sig.WriteByte(0)
	}
	if m, ok := p.sharedVars[sig.String()]; ok {
		return m
	}
	m := make(map[string]string, len(p.h.vars))
	for _, v := range p.h.vars {
		m[v.key] = p.intern(p.cell(cells, v.col))
	}
	if len(p.sharedVars) < 4096 {
		p.sharedVars[sig.String()] = m
	}
	return m
}

// cell is a row's trimmed cell at col; a row that ends before col (a
// spreadsheet drops trailing empty cells) has it empty.
func (p *parser) cell(cells []string, col int) string {
	if col < len(cells) {
		return trimCell(cells[col])
	}
	return ""
}

func (p *parser) catalogList() string {
	var names []string
	for _, m := range p.cat.models {
		names = append(names, m.Make+" "+m.Model)
	}
	return strings.Join(names, ", ")
}

func inferOwnerType(owner string) OwnerType {
	if strings.Contains(owner, "@") {
		return Person
	}
	return Workspace
}

// looksLikeEmail is a plausibility check, not RFC 5322: one '@', a local
// part, a dotted domain, no spaces.
func looksLikeEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || strings.Contains(domain, "@") || strings.ContainsFunc(s, func(r rune) bool {
		return isSpace(r) || r < 0x20 || r == '<' || r == '>' || r == ',' || r == ';'
	}) {
		return false
	}
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") &&
		!strings.HasSuffix(domain, ".") && !strings.Contains(domain, "..")
}

// readLines reads the optional Lines sheet: mac, port, owner, line_type,
// label (and owner_type), one row per line appearance or port.
func (p *parser) readLines(src rowSource) error {
	sheet := src.Sheet()
	var (
		h          header
		haveHeader bool
		merges     *mergeFiller
		seen       = map[string]int{} // MAC/port -> row
		keyMerges  []mergeRange
	)
	for n := 0; src.Next(); n++ {
		if n%1024 == 0 && p.ctx.Err() != nil {
			return fmt.Errorf("reading %s: %w", p.file, p.ctx.Err())
		}
		cells, row := src.Cells(), src.Row()
		if !p.checkCells(sheet, &h, row, cells) {
			continue
		}
		if !haveHeader {
			if blank(cells) {
				continue
			}
			haveHeader = true
			h = p.mapHeader(sheet, row, cells, lineColumns, false)
			for _, k := range []string{keyMAC, keyPort} {
				if _, ok := h.col[k]; !ok {
					p.add(nil, Pos{File: p.file, Sheet: sheet, Row: row}, "headers mac, port, owner, line_type, label",
						"no %s column in the header row; the sheet is ignored", spelled[k])
					return nil
				}
			}
			merges = newMergeFiller(src.Merges(), row)
			for _, m := range src.Merges() {
				for _, k := range []string{keyMAC, keyPort} {
					if c := h.col[k] + 1; m.r2 > row && c >= m.c1 && c <= m.c2 {
						keyMerges = append(keyMerges, m)
						p.add(nil, p.pos(sheet, &h, max(m.r1, row+1), c-1), "one "+spelled[k]+" per row; unmerge the cells",
							"%s cells %s are merged", h.name(k), m.ref)
						break
					}
				}
			}
			continue
		}
		cells = merges.fill(row, cells)
		if blank(cells) {
			continue
		}
		get := func(key string) (string, Pos) {
			c, ok := h.col[key]
			if !ok {
				return "", Pos{}
			}
			v := ""
			if c < len(cells) {
				v = trimCell(cells[c])
			}
			return v, p.pos(sheet, &h, row, c)
		}
		macRaw, macPos := get(keyMAC)
		inMerge := false
		for _, m := range keyMerges {
			inMerge = inMerge || (row >= m.r1 && row <= m.r2)
		}
		if inMerge {
			continue // reported once for the range
		}
		mac, err := NormalizeMAC(macRaw)
		if err != nil {
			if macRaw == "" {
				p.add(nil, macPos, macExpected, "%s is empty", macPos.Header)
			} else {
				p.add(nil, macPos, macExpected, "%s %q %v", macPos.Header, macRaw, err)
			}
			continue
		}
		idx, ok := p.macs.first[mac]
		if !ok {
			p.add(nil, macPos, "a MAC listed on the "+sheetLabel(p.sheet), "%s %s is not on the devices sheet", macPos.Header, mac)
			continue
		}
		d := p.drafts[idx]
		portRaw, portPos := get(keyPort)
		port, perr := strconv.Atoi(portRaw)
		if perr != nil {
			if f, ferr := strconv.ParseFloat(portRaw, 64); ferr == nil && f == float64(int(f)) {
				port, perr = int(f), nil
			}
		}
		if perr != nil || port < 1 {
			p.add(d, portPos, "a port number of 1 or more", "%s %q is not a port number", portPos.Header, portRaw)
			continue
		}
		key := mac + "/" + strconv.Itoa(port)
		if prev, dup := seen[key]; dup {
			p.add(d, portPos, "each device port once", "%s %d of %s is also on row %d", portPos.Header, port, mac, prev)
			continue
		}
		seen[key] = row
		o := override{port: port, pos: portPos}
		o.owner, o.ownerPos = get(keyOwner)
		if o.owner != "" {
			o.ownerTyp = inferOwnerType(o.owner)
			if ot, otPos := get(keyOwnerType); ot != "" {
				switch OwnerType(strings.ToLower(ot)) {
				case Person, Workspace:
					o.ownerTyp = OwnerType(strings.ToLower(ot))
				default:
					p.add(d, otPos, "person or workspace", "%s %q is not an owner type", otPos.Header, ot)
				}
			}
			if o.ownerTyp == Person && (len(o.owner) > MaxEmailLen || !looksLikeEmail(o.owner)) && !p.opts.Lab {
				p.add(d, o.ownerPos, "an e-mail address (at most 254 characters) for a person, or a workspace name", "%s %q is not an e-mail address", o.ownerPos.Header, clipValue(o.owner))
			}
		}
		lt, ltPos := get(keyLineType)
		switch strings.ToLower(lt) {
		case "", "primary", "shared":
			o.lineType = strings.ToLower(lt)
		default:
			p.add(d, ltPos, "primary or shared", "%s %q is not a line type", ltPos.Header, lt)
		}
		o.label, _ = get(keyLabel)
		d.overrides = append(d.overrides, o)
	}
	if err := src.Err(); err != nil {
		return unreadable(p.file, "reading sheet %s: %v", sheet, err)
	}
	return nil
}

// finish applies the Lines sheet, checks the rules that span rows, and
// keeps the valid devices.
func (p *parser) finish() *Inventory {
	if len(p.drafts) == 0 && p.refused == 0 && p.inv.HeaderRow > 0 && !p.missing {
		// A migration given no devices says so and fails: "0 devices, 0
		// problems" would pass a header-only file as a good inventory.
		p.add(nil, Pos{File: p.file, Sheet: p.sheet, Row: p.inv.HeaderRow}, "at least one device row under the header",
			"the inventory has a header row and no device")
	}
	for _, d := range p.drafts {
		p.applyOverrides(d)
		p.checkLineLimits(d)
		p.checkRender(d)
	}
	p.duplicates(p.macs.more, func(d *draft, others string) {
		pos := d.dev.Pos
		p.add(d, pos, "each MAC once in the file", "%s %s is also on %s", pos.Header, d.dev.MAC, others)
	})
	pwCol, hasPW := p.h.col[keySIPPassword]
	if hasPW {
		p.duplicates(p.passwords.more, func(d *draft, others string) {
			pos := p.pos(p.sheet, &p.h, d.dev.Pos.Row, pwCol)
			p.add(d, pos, "a different password on every device", "%s is also used on %s", pos.Header, others)
		})
	}
	good := 0
	for _, d := range p.drafts {
		if !d.bad {
			good++
		}
	}
	if !p.missing && good > 0 {
		p.inv.Devices = make([]Device, 0, good)
		for i, d := range p.drafts {
			if !d.bad {
				p.inv.Devices = append(p.inv.Devices, d.dev)
			}
			p.drafts[i] = nil // let the collector have it while copying
		}
	}
	order := func(s string) int {
		if s == p.sheet {
			return 0
		}
		return 1
	}
	sort.SliceStable(p.inv.Problems, func(i, j int) bool {
		a, b := p.inv.Problems[i].Pos, p.inv.Problems[j].Pos
		if oa, ob := order(a.Sheet), order(b.Sheet); oa != ob {
			return oa < ob
		}
		if a.Row != b.Row {
			return a.Row < b.Row
		}
		ca, _ := excelize.ColumnNameToNumber(a.Column)
		cb, _ := excelize.ColumnNameToNumber(b.Column)
		return ca < cb
	})
	if p.inv.Unlisted > 0 {
		p.inv.Problems = append(p.inv.Problems, Problem{Pos: Pos{File: p.file, Sheet: p.sheet},
			Message:  fmt.Sprintf("and %d more problems, not listed", p.inv.Unlisted),
			Expected: fmt.Sprintf("at most %d problems listed; fix these and validate again", MaxProblems)})
	}
	return p.inv
}

// duplicates calls report for every draft sharing a key with another,
// naming the other rows.
func (p *parser) duplicates(rows map[string][]int, report func(d *draft, others string)) {
	for _, idxs := range rows {
		if len(idxs) < 2 {
			continue
		}
		for _, i := range idxs {
			if len(p.inv.Problems) >= MaxProblems {
				// Counted, not worded: see add.
				p.drafts[i].bad = true
				p.inv.Unlisted++
				continue
			}
			// At most five others are named, so only the first six rows are
			// looked at: linear in the rows sharing the key, not quadratic
			// (100,000 identical MACs took 13 s).
			var others []string
			for _, j := range idxs[:min(len(idxs), 6)] {
				if j != i && len(others) < 5 {
					others = append(others, strconv.Itoa(p.drafts[j].dev.Pos.Row))
				}
			}
			s := "row " + others[0]
			if len(others) > 1 {
				s = "rows " + strings.Join(others, ", ")
			}
			if n := len(idxs) - 1 - len(others); n > 0 {
				s += fmt.Sprintf(" and %d more", n)
			}
			report(p.drafts[i], s)
		}
	}
}

func (p *parser) applyOverrides(d *draft) {
	if len(d.overrides) == 0 {
		return
	}
	dev := &d.dev
	for _, o := range d.overrides {
		i := sort.Search(len(dev.Lines), func(i int) bool { return dev.Lines[i].Port >= o.port })
		if i < len(dev.Lines) && dev.Lines[i].Port == o.port {
			l := &dev.Lines[i]
			if o.owner != "" && !strings.EqualFold(o.owner, l.Owner) {
				if o.port == 1 {
					p.add(d, o.ownerPos, "the same owner as the devices sheet, or an empty cell",
						"%s %q: port 1 is the device owner's own line (%q)", o.ownerPos.Header, o.owner, l.Owner)
					continue
				}
				l.Owner, l.OwnerType = o.owner, o.ownerTyp
			}
			if o.lineType != "" {
				l.Shared = o.lineType == "shared"
			}
			if o.label != "" {
				l.Label = o.label
			}
			l.Pos = o.pos
			continue
		}
		if o.owner == "" {
			p.add(d, o.ownerPos, "the owner of the line on this port", "%s is empty for port %d, which the devices sheet does not list",
				o.ownerPos.Header, o.port)
			continue
		}
		shared := dev.Type != Gateway && o.port > 1
		if o.lineType != "" {
			shared = o.lineType == "shared"
		}
		l := Line{Port: o.port, Owner: o.owner, OwnerType: o.ownerTyp, Shared: shared, Label: o.label, Pos: o.pos}
		dev.Lines = append(dev.Lines, Line{})
		copy(dev.Lines[i+1:], dev.Lines[i:])
		dev.Lines[i] = l
	}
}

// checkLineLimits enforces the tighter of the kind's limit (20 lines on a
// phone, 100 ports on a gateway) and the model's numberOfLinePorts.
func (p *parser) checkLineLimits(d *draft) {
	dev := &d.dev
	if len(dev.Lines) == 0 || dev.Type == "" {
		return
	}
	top := dev.Lines[len(dev.Lines)-1].Port
	limit, unit := dev.Type.MaxLines(), "lines"
	if dev.Type == Gateway {
		unit = "ports"
	}
	byModel := d.model != nil && d.model.MaxLines < limit
	if byModel {
		limit = d.model.MaxLines
	}
	if top <= limit {
		return
	}
	var pos Pos
	for _, l := range dev.Lines {
		if l.Port > limit {
			pos = l.Pos
			break
		}
	}
	if byModel {
		p.add(d, pos, fmt.Sprintf("at most %d %s on %s %s, its number of line ports", limit, unit, d.model.Make, d.model.Model),
			"%s: %s %s has %d %s", pos.Header, d.model.Make, d.model.Model, top, unit)
		return
	}
	p.add(d, pos, fmt.Sprintf("at most %d %s on a %s", limit, unit, dev.Type), "%s: %s has %d %s", pos.Header, dev.Type, top, unit)
}

// mergeFiller gives every cell of a merged range the top-left cell's value
// (a spreadsheet stores it only there), for rows after the header.
type mergeFiller struct {
	pending []mergeRange // sorted by first row, not started yet
	active  []activeMerge
	header  int
}

type activeMerge struct {
	m   mergeRange
	val string
}

func newMergeFiller(merges []mergeRange, headerRow int) *mergeFiller {
	ms := append([]mergeRange(nil), merges...)
	sort.Slice(ms, func(i, j int) bool { return ms[i].r1 < ms[j].r1 })
	return &mergeFiller{pending: ms, header: headerRow}
}

func (f *mergeFiller) fill(row int, cells []string) []string {
	if f == nil || (len(f.pending) == 0 && len(f.active) == 0) {
		return cells
	}
	for len(f.pending) > 0 && f.pending[0].r1 <= row {
		m := f.pending[0]
		f.pending = f.pending[1:]
		val := ""
		if m.r1 == row && m.c1-1 < len(cells) {
			val = cells[m.c1-1]
		}
		f.active = append(f.active, activeMerge{m: m, val: val})
	}
	kept := f.active[:0]
	for _, a := range f.active {
		if a.m.r2 < row {
			continue
		}
		kept = append(kept, a)
		if row <= f.header {
			continue
		}
		for len(cells) < a.m.c2 {
			cells = append(cells, "")
		}
		for c := a.m.c1; c <= a.m.c2; c++ {
			if (c != a.m.c1 || row != a.m.r1) && trimCell(cells[c-1]) == "" {
				cells[c-1] = a.val
			}
		}
	}
	f.active = kept
	return cells
}

// dupIndex finds keys that several rows share. Most keys are unique, so a
// list of rows is kept only for those seen twice.
type dupIndex struct {
	first map[string]int   // key -> first draft
	more  map[string][]int // key -> every draft, for keys seen twice or more
}

func newDupIndex() dupIndex {
	return dupIndex{first: map[string]int{}, more: map[string][]int{}}
}

func (x *dupIndex) add(key string, idx int) {
	f, seen := x.first[key]
	if !seen {
		x.first[key] = idx
		return
	}
	if x.more[key] == nil {
		x.more[key] = []int{f}
	}
	x.more[key] = append(x.more[key], idx)
}
