package publish

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cutover-dev/cutover/render"
)

// ReadFiles reads every config in dir (a run's configs directory): the
// regular files with plain names, in name order, leaving out hidden and
// temporary files and the manifest.
func ReadFiles(dir string) ([]render.File, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading configs: %w", err)
	}
	var files []render.File
	for _, e := range entries {
		if !e.Type().IsRegular() || CheckName(e.Name()) != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("reading configs: %w", err)
		}
		files = append(files, render.File{Name: e.Name(), Data: b})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files, nil
}

// PublishDir publishes every config in dir (see ReadFiles) to t.
func PublishDir(ctx context.Context, t Target, dir string) (Result, error) {
	files, err := ReadFiles(dir)
	if err != nil {
		return Result{}, err
	}
	if len(files) == 0 {
		return Result{}, fmt.Errorf("publishing %s: no configs (run cutover render first)", dir)
	}
	return t.Publish(ctx, files)
}

// Batcher groups the files of many concurrent callers into few Publish
// calls: the migration publishes device by device, and a directory target
// rewrites its manifest on every Publish. It works as a group commit: a
// request that finds the batcher idle is published at once, and the requests
// that arrive while a Publish runs go together in the next one, so batches
// grow with the load and nobody waits on a timer. Each caller still learns
// whether its own files landed. A Batcher is safe for concurrent use; Close it.
type Batcher struct {
	t     Target
	reqs  chan batchReq
	done  chan struct{}
	once  sync.Once
	limit int
}

type batchReq struct {
	files []render.File
	reply chan error
}

// NewBatcher starts a batcher whose batches hold at most limit files.
func NewBatcher(t Target, limit int) *Batcher {
	b := &Batcher{t: t, reqs: make(chan batchReq), done: make(chan struct{}), limit: max(1, limit)}
	go b.loop()
	return b
}

// Publish queues files and waits until the batch holding them is published.
func (b *Batcher) Publish(ctx context.Context, files []render.File) error {
	r := batchReq{files: files, reply: make(chan error, 1)}
	select {
	case <-b.done:
		return errors.New("publishing: batcher closed")
	default:
	}
	select {
	case b.reqs <- r:
	case <-b.done:
		return errors.New("publishing: batcher closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-r.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the batcher; requests already taken are published first.
func (b *Batcher) Close() { b.once.Do(func() { close(b.done) }) }

func (b *Batcher) loop() {
	for {
		var first batchReq
		select {
		case first = <-b.reqs:
		case <-b.done:
			return
		}
		queued, n := []batchReq{first}, len(first.files)
		// Take every request already waiting (they queued up during the
		// previous Publish), up to the limit.
	drain:
		for n < b.limit {
			select {
			case r := <-b.reqs:
				queued = append(queued, r)
				n += len(r.files)
			default:
				break drain
			}
		}
		b.flush(queued)
	}
}

func (b *Batcher) flush(queued []batchReq) {
	// Later files of the same name win: a device re-rendered within a batch.
	byName := map[string]int{}
	var files []render.File
	for _, q := range queued {
		for _, f := range q.files {
			if i, ok := byName[f.Name]; ok {
				files[i] = f
				continue
			}
			byName[f.Name] = len(files)
			files = append(files, f)
		}
	}
	// The batch outlives any one caller's context.
	_, err := b.t.Publish(context.Background(), files)
	for _, q := range queued {
		q.reply <- err
	}
}

// ServeTLS serves h over HTTPS (TLS 1.2 or newer) on ln with the certificate
// and key files until ctx ends, then shuts down gracefully and returns
// ctx.Err(). ready, if not nil, is called once the certificate has loaded.
func ServeTLS(ctx context.Context, ln net.Listener, h http.Handler, certFile, keyFile string, ready func(net.Addr)) error {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		ln.Close()
		return fmt.Errorf("loading TLS certificate: %w", err)
	}
	if ready != nil {
		ready(ln.Addr())
	}
	srv := &http.Server{
		Handler:           h,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving configs: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !strings.Contains(err.Error(), "closed") {
		return fmt.Errorf("stopping config server: %w", err)
	}
	return ctx.Err()
}
