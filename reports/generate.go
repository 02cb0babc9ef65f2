package reports

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sync/errgroup"

	"github.com/cutover-dev/cutover/internal/atomicfile"
	"github.com/cutover-dev/cutover/rundir"
)

// ErrWriting wraps every failure to write a report file (as opposed to
// reading the run), so that callers can tell a full disk from bad input.
var ErrWriting = errors.New("writing reports")

// Paths says where the reports of a run were (or are to be) written.
type Paths struct {
	HTML  string `json:"html"`
	XLSX  string `json:"xlsx"`
	JUnit string `json:"junit"`
}

// DefaultPaths are dir/report.html, dir/report.xlsx and dir/junit.xml.
func DefaultPaths(dir string) Paths {
	return Paths{
		HTML:  filepath.Join(dir, HTMLFile),
		XLSX:  filepath.Join(dir, XLSXFile),
		JUnit: filepath.Join(dir, JUnitFile),
	}
}

// withDefaults fills each empty path with its default under dir.
func (p Paths) withDefaults(dir string) Paths {
	def := DefaultPaths(dir)
	if p.HTML == "" {
		p.HTML = def.HTML
	}
	if p.XLSX == "" {
		p.XLSX = def.XLSX
	}
	if p.JUnit == "" {
		p.JUnit = def.JUnit
	}
	return p
}

// Generate loads the run in dir and writes its three reports, by default
// next to the journal (WithHTML, WithXLSX and WithJUnit choose other
// places). It is what migrate, certify and demo call at the end of a run.
// The error wraps ErrNoRunData when dir holds no run.
func Generate(dir string, opts ...Option) (Paths, error) {
	return generate(dir, opts, func() (*Data, error) { return Load(dir, opts...) })
}

// GenerateRuns is Generate over several run directories, the shards of one
// split, merged by LoadRuns: it writes one set of reports, by default into
// out (report.html, report.xlsx, junit.xml there). With one directory and an
// empty out it is Generate.
func GenerateRuns(dirs []string, out string, opts ...Option) (Paths, error) {
	if len(dirs) == 1 && out == "" {
		return Generate(dirs[0], opts...)
	}
	if out == "" {
		return Paths{}, fmt.Errorf("%w: the merged reports of %d runs need a directory of their own", ErrMerging, len(dirs))
	}
	return generate(out, opts, func() (*Data, error) { return LoadRuns(dirs, opts...) })
}

// generate loads the run model and writes the three reports into out (or
// where the options say), the one path of Generate and GenerateRuns.
func generate(out string, opts []Option, load func() (*Data, error)) (Paths, error) {
	cfg := newConfig(opts)
	d, err := load()
	if err != nil {
		return Paths{}, err
	}
	p := Paths{HTML: cfg.html, XLSX: cfg.xlsx, JUnit: cfg.jnt}.withDefaults(out)
	if err := WriteAll(out, d, p); err != nil {
		return Paths{}, err
	}
	if cfg.loaded != nil {
		cfg.loaded(d)
	}
	return p, nil
}

// WriteAll writes the HTML, XLSX and JUnit reports of d to paths; an empty
// path means its default under dir. Each file is written to a temporary
// name and renamed, so that a reader never sees half a report. On an error
// the first one is returned; a report that was written stays.
//
// Up to writeAtOnceMax devices the three are written at once (they only
// read d); above it, one after another: each writer holds memory in
// proportion to the fleet, and at 100,000 devices writing them at once
// took the writers' peak heap from about 400 MB to 790 MB for 2 s of
// the 10 (BenchmarkWriteAll100k), where at 10,000 it saves 0.2 s of 0.9
// at the same peak (BenchmarkWriteAll10k).
func WriteAll(dir string, d *Data, paths Paths) error {
	return writeAll(dir, d, paths, len(d.Devices) <= writeAtOnceMax)
}

// writeAtOnceMax is the largest fleet whose reports WriteAll writes at once.
const writeAtOnceMax = 20_000

func writeAll(dir string, d *Data, paths Paths, atOnce bool) error {
	p := paths.withDefaults(dir)
	var g errgroup.Group
	if !atOnce {
		g.SetLimit(1)
	}
	for _, w := range []struct {
		path  string
		write func(io.Writer, *Data) error
	}{{p.HTML, WriteHTML}, {p.XLSX, WriteXLSX}, {p.JUnit, WriteJUnit}} {
		g.Go(func() error {
			return writeFileAtomic(w.path, func(out io.Writer) error { return w.write(out, d) })
		})
	}
	return g.Wait()
}

// writeFileAtomic writes a report through the module's one atomic-write
// helper: a reader never sees half a report, and a failed write leaves the
// previous one. Reports hold no secrets and are meant to be shared:
// world-readable.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), rundir.ModeDir); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrWriting, path, err)
	}
	if err := atomicfile.WriteFunc(path, rundir.ModePublic, true, write); err != nil {
		return fmt.Errorf("%w: %w", ErrWriting, err)
	}
	return nil
}
