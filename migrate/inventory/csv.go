package inventory

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
)

// readCSV reads a CSV inventory: UTF-8 with or without BOM, separated by
// ',' or ';' (or a tab), whichever the header line uses most outside quotes.
// Rows are numbered by the line a record starts on, which is what a text
// editor shows and what a spreadsheet shows unless a quoted cell spans lines.
func readCSV(ctx context.Context, name string, r io.Reader, opts Options) (*Inventory, error) {
	br := bufio.NewReaderSize(newCheckedReader(ctx, r), 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	head, _ := br.Peek(64 << 10)
	cr := csv.NewReader(br)
	cr.Comma = sniffComma(head)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	p := newParser(ctx, name, "", opts)
	src := &csvRows{r: cr}
	if err := p.readDevices(src); err != nil {
		return nil, err
	}
	return p.finish(), nil
}

// sniffComma picks the separator the first line uses most outside quotes.
func sniffComma(head []byte) rune {
	counts := map[rune]int{}
	quoted := false
	for _, c := range string(head) {
		if c == '"' {
			quoted = !quoted
			continue
		}
		if !quoted && (c == '\n' || c == '\r') {
			break
		}
		if !quoted && (c == ',' || c == ';' || c == '\t') {
			counts[c]++
		}
	}
	best := ','
	for _, c := range []rune{';', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}

// csvRows is a rowSource over CSV records. A malformed record (a stray
// quote) becomes a located problem and reading goes on with the next line.
type csvRows struct {
	r      *csv.Reader
	row    int
	cells  []string
	err    error
	broken *csv.ParseError
}

func (c *csvRows) Next() bool {
	rec, err := c.r.Read()
	c.broken = nil
	if err != nil {
		if errors.Is(err, io.EOF) {
			return false
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			// encoding/csv has consumed the broken record: report it and go on.
			c.row, c.cells, c.broken = pe.StartLine, nil, pe
			return true
		}
		c.err = err
		return false
	}
	c.row, _ = c.r.FieldPos(0)
	c.cells = rec
	return true
}

func (c *csvRows) Row() int             { return c.row }
func (c *csvRows) Cells() []string      { return c.cells }
func (c *csvRows) Err() error           { return c.err }
func (c *csvRows) Sheet() string        { return "" }
func (c *csvRows) Merges() []mergeRange { return nil }

// Broken returns a description of the current record's syntax error, if any.
func (c *csvRows) Broken() string {
	if c.broken == nil {
		return ""
	}
	return fmt.Sprintf("malformed CSV at line %d, column %d: %v", c.broken.Line, c.broken.Column, c.broken.Err)
}
