package rundir

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Journal appends events to DIR/journal.jsonl. Appends are buffered and made
// durable in small batches (every SyncEvery events or SyncInterval, whichever
// comes first); AppendDurable returns only once its event is on disk, which
// the engine uses before any call whose outcome it must be able to discover
// after a crash (a create). Concurrent durable appends share one fsync.
//
// The first write or sync error sticks: every later call returns it, so that a
// full disk stops the run (ErrJournal wraps it).
type Journal struct {
	mu      sync.Mutex
	f       *os.File
	w       *bufio.Writer
	seq     uint64 // events appended
	flushed uint64 // events handed to the file
	err     error
	now     func() time.Time

	syncMu sync.Mutex
	synced uint64 // events known durable

	every   int
	kick    chan struct{}
	stop    chan struct{}
	stopped chan struct{}
	closed  bool
}

// ErrJournal marks an error writing the journal; it is fatal to a run.
var ErrJournal = fmt.Errorf("writing journal")

// journalError wraps a write error so that errors.Is(err, ErrJournal) holds.
type journalError struct{ err error }

func (e *journalError) Error() string { return "writing journal: " + e.err.Error() }
func (e *journalError) Unwrap() []error {
	return []error{ErrJournal, e.err}
}

// JournalOption tunes a Journal.
type JournalOption func(*Journal, *journalTiming)

type journalTiming struct{ interval time.Duration }

// SyncEvery makes the journal sync after n buffered events (default 64).
func SyncEvery(n int) JournalOption {
	return func(j *Journal, _ *journalTiming) {
		if n > 0 {
			j.every = n
		}
	}
}

// SyncInterval makes the journal sync buffered events after d (default 50 ms).
func SyncInterval(d time.Duration) JournalOption {
	return func(_ *Journal, t *journalTiming) {
		if d > 0 {
			t.interval = d
		}
	}
}

// WithClock injects the clock stamping events without a time.
func WithClock(now func() time.Time) JournalOption {
	return func(j *Journal, _ *journalTiming) { j.now = now }
}

// OpenJournal opens (creating it and dir if needed) dir/journal.jsonl for
// appending. A torn last line left by a crash is cut off first, so that new
// events start on a line of their own.
func OpenJournal(dir string, opts ...JournalOption) (*Journal, error) {
	if err := os.MkdirAll(dir, ModeDir); err != nil {
		return nil, fmt.Errorf("opening journal: %w", err)
	}
	path := filepath.Join(dir, JournalFile)
	if err := repairTail(path); err != nil {
		return nil, fmt.Errorf("opening journal: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, ModePublic)
	if err != nil {
		return nil, fmt.Errorf("opening journal: %w", err)
	}
	j := &Journal{
		f: f, w: bufio.NewWriterSize(f, 64<<10), now: time.Now, every: 64,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{}),
	}
	t := journalTiming{interval: 50 * time.Millisecond}
	for _, o := range opts {
		o(j, &t)
	}
	go j.loop(t.interval)
	return j, nil
}

// repairTail truncates a journal whose last byte is not a newline back to
// its last complete line.
func repairTail(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return err
	}
	size := st.Size()
	buf := make([]byte, 4096)
	end := size
	for end > 0 {
		n := int64(len(buf))
		if n > end {
			n = end
		}
		if _, err := f.ReadAt(buf[:n], end-n); err != nil {
			return err
		}
		for i := n - 1; i >= 0; i-- {
			if buf[i] == '\n' {
				cut := end - n + i + 1
				if cut == size {
					return nil
				}
				return f.Truncate(cut)
			}
		}
		end -= n
	}
	return f.Truncate(0)
}

func (j *Journal) loop(interval time.Duration) {
	defer close(j.stopped)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-j.stop:
			return
		case <-t.C:
		case <-j.kick:
		}
		_ = j.Sync()
	}
}

// Append stamps ev (when its TS is zero) and buffers it. It returns the
// journal's sticky error, if any.
func (j *Journal) Append(ev Event) error {
	_, err := j.append(ev)
	return err
}

func (j *Journal) append(ev Event) (uint64, error) {
	if ev.TS.IsZero() {
		ev.TS = j.now().UTC()
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return 0, fmt.Errorf("encoding journal event: %w", err)
	}
	b = append(b, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return 0, j.err
	}
	if j.closed {
		return 0, &journalError{os.ErrClosed}
	}
	if _, err := j.w.Write(b); err != nil {
		j.err = &journalError{err}
		return 0, j.err
	}
	j.seq++
	if j.seq-j.flushed >= uint64(j.every) {
		select {
		case j.kick <- struct{}{}:
		default:
		}
	}
	return j.seq, nil
}

// AppendDurable appends ev and returns once it is on disk.
func (j *Journal) AppendDurable(ev Event) error {
	seq, err := j.append(ev)
	if err != nil {
		return err
	}
	return j.syncTo(seq)
}

// Sync writes every buffered event and fsyncs the file.
func (j *Journal) Sync() error {
	j.mu.Lock()
	seq := j.seq
	j.mu.Unlock()
	return j.syncTo(seq)
}

// syncTo makes events up to seq durable. Callers queue on syncMu; whoever
// holds it flushes everything buffered so far, so one fsync serves all the
// events appended while the previous one ran (group commit).
func (j *Journal) syncTo(seq uint64) error {
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	if j.synced >= seq {
		j.mu.Lock()
		defer j.mu.Unlock()
		return j.err
	}
	j.mu.Lock()
	if j.err != nil {
		j.mu.Unlock()
		return j.err
	}
	upto := j.seq
	if err := j.w.Flush(); err != nil {
		j.err = &journalError{err}
		j.mu.Unlock()
		return j.err
	}
	j.flushed = upto
	j.mu.Unlock()
	if err := j.f.Sync(); err != nil {
		j.mu.Lock()
		if j.err == nil {
			j.err = &journalError{err}
		}
		err := j.err
		j.mu.Unlock()
		return err
	}
	j.synced = upto
	return nil
}

// Close syncs and closes the journal. It is safe to call twice.
func (j *Journal) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.mu.Unlock()
	close(j.stop)
	<-j.stopped
	err := j.Sync()
	j.mu.Lock()
	j.closed = true
	j.mu.Unlock()
	if cerr := j.f.Close(); err == nil && cerr != nil {
		err = &journalError{cerr}
	}
	return err
}
