package inventory

import "sync"

// prefetchRows decodes a sheet's XML on its own goroutine, a batch of rows
// ahead of the validation: decoding is most of the cost of a large
// workbook, and on two cores the checks then run beside it rather than
// after it.
type prefetchRows struct {
	sheet  string
	merges []mergeRange
	ch     chan []rowData
	done   chan struct{}
	exited chan struct{}
	stop   sync.Once
	perr   error // the source's error; read only after ch is closed
	batch  []rowData
	i      int
	cur    rowData
	err    error
}

type rowData struct {
	row   int
	cells []string
}

const prefetchBatch = 512

// newPrefetchRows takes src over: only the new goroutine touches it from
// now on, and closes it. Close must be called.
func newPrefetchRows(src *xlsxRows) *prefetchRows {
	p := &prefetchRows{
		sheet: src.Sheet(), merges: src.Merges(),
		ch: make(chan []rowData, 4), done: make(chan struct{}), exited: make(chan struct{}),
	}
	go func() {
		defer close(p.exited)
		defer close(p.ch)
		defer src.rows.Close()
		batch := make([]rowData, 0, prefetchBatch)
		for src.Next() {
			batch = append(batch, rowData{row: src.Row(), cells: src.Cells()})
			if len(batch) < prefetchBatch {
				continue
			}
			select {
			case p.ch <- batch:
			case <-p.done:
				return
			}
			batch = make([]rowData, 0, prefetchBatch)
		}
		p.perr = src.Err()
		if len(batch) > 0 {
			select {
			case p.ch <- batch:
			case <-p.done:
			}
		}
	}()
	return p
}

func (p *prefetchRows) Next() bool {
	for p.i >= len(p.batch) {
		b, ok := <-p.ch
		if !ok {
			p.err = p.perr
			return false
		}
		p.batch, p.i = b, 0
	}
	p.cur = p.batch[p.i]
	p.batch[p.i] = rowData{} // the parser keeps what it needs
	p.i++
	return true
}

func (p *prefetchRows) Row() int             { return p.cur.row }
func (p *prefetchRows) Cells() []string      { return p.cur.cells }
func (p *prefetchRows) Err() error           { return p.err }
func (p *prefetchRows) Sheet() string        { return p.sheet }
func (p *prefetchRows) Merges() []mergeRange { return p.merges }

// Close stops the decoding goroutine and waits for it, so that the
// workbook may be closed after.
func (p *prefetchRows) Close() {
	p.stop.Do(func() { close(p.done) })
	<-p.exited
}
