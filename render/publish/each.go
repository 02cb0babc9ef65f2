package publish

import (
	"context"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/cutover-dev/cutover/render"
)

// publishChanged is the loop both targets share. With up to jobs workers it
// hashes each file, skips it when man already records the same SHA-256 and
// size and held(name, entry) agrees (nil means it does), and puts it
// otherwise. The first failed put cancels the rest. Whatever landed is
// recorded in man, even on error, so that the caller can write the manifest
// for what is really at the target. The counts are always valid.
//
// Hashing happens in the workers: it is half the CPU of a publish that skips
// everything, and on two cores it should not run on one.
func publishChanged(ctx context.Context, jobs int, files []render.File, man *Manifest,
	held func(name string, e ManifestEntry) bool, put func(ctx context.Context, f render.File) error) (Result, error) {
	const (
		pending = iota
		skipped
		written
	)
	entries := make([]ManifestEntry, len(files))
	state := make([]uint8, len(files))
	var next atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for range max(1, min(jobs, len(files))) {
		g.Go(func() error {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return nil
				}
				if err := gctx.Err(); err != nil {
					return err
				}
				f := files[i]
				e := ManifestEntry{SHA256: sum(f.Data), Size: int64(len(f.Data))}
				entries[i] = e
				if old, ok := man.Files[f.Name]; ok && old == e && (held == nil || held(f.Name, e)) {
					state[i] = skipped
					continue
				}
				if err := put(gctx, f); err != nil {
					return err
				}
				state[i] = written
			}
		})
	}
	err := g.Wait()
	var res Result
	for i, f := range files {
		switch state[i] {
		case skipped:
			res.Skipped++
		case written:
			res.Written++
			res.Bytes += entries[i].Size
			man.Files[f.Name] = entries[i]
		}
	}
	return res, err
}
