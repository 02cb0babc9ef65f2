// Package publish puts rendered device configs where devices fetch them: a
// local directory (atomic renames, 0600 files, a checksummed manifest) or an
// HTTPS provisioning server (PUT per file, bearer or basic auth, certificate
// verification on, retries with backoff). Both skip files whose bytes the
// target already holds, and both serve the same manifest format, which the
// lab provisioning server (NewConfigServer) reads.
package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cutover-dev/cutover/render"
)

// ManifestName is the manifest's file name at every target.
const ManifestName = "manifest.json"

// Environment variables holding HTTPS target credentials.
const (
	EnvToken    = "CUTOVER_PUBLISH_TOKEN"
	EnvUser     = "CUTOVER_PUBLISH_USER"
	EnvPassword = "CUTOVER_PUBLISH_PASSWORD"
)

// Target is a place configs are published to.
type Target interface {
	// Publish writes every file whose bytes differ from what the target
	// holds, then the manifest. It stops at the first file it cannot write
	// and reports how far it got.
	Publish(ctx context.Context, files []render.File) (Result, error)
}

// Result counts what a Publish did.
type Result struct {
	Written int   // files written
	Skipped int   // files already at the target with the same SHA-256
	Bytes   int64 // bytes written
}

// Manifest lists the files published at a target with their checksums. It is
// JSON with sorted keys:
//
//	{"version": 1, "files": {"001565a1b2c3.cfg": {"sha256": "<hex>", "size": 1234}}}
type Manifest struct {
	Version int                      `json:"version"`
	Files   map[string]ManifestEntry `json:"files"`
}

// ManifestEntry is one published file.
type ManifestEntry struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// ParseManifest decodes a manifest, checking every name is a plain file name.
func ParseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	if m.Version != 1 {
		return nil, fmt.Errorf("reading manifest: version %d: expected 1", m.Version)
	}
	if m.Files == nil {
		m.Files = map[string]ManifestEntry{}
	}
	for name := range m.Files {
		if err := CheckName(name); err != nil {
			return nil, fmt.Errorf("reading manifest: %w", err)
		}
	}
	return &m, nil
}

// marshal encodes m exactly as json.MarshalIndent(m, "", "  ") plus a
// newline, without reflection: at 100,000 files the generic encoder took a
// third of a second, all of it on one core while the writers waited.
func (m *Manifest) marshal() []byte { return m.appendTo(nil) }

// appendTo appends what marshal returns to b. A directory target rewrites
// its manifest after every batch, so it passes the buffer of the last
// write: at 5,000 devices a fresh buffer per batch was an eighth of the
// demo's allocations.
func (m *Manifest) appendTo(b []byte) []byte {
	names := make([]string, 0, len(m.Files))
	size := 32
	for n, e := range m.Files {
		names = append(names, n)
		// An entry is 72 bytes around its name and hash, its size's digits included.
		size += 72 + len(n) + len(e.SHA256)
	}
	sort.Strings(names)
	b = slices.Grow(b, size)
	b = append(b, "{\n  \"version\": "...)
	b = strconv.AppendInt(b, int64(m.Version), 10)
	b = append(b, ",\n  \"files\": {"...)
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		e := m.Files[n]
		b = append(b, "\n    "...)
		b = appendJSONString(b, n)
		b = append(b, ": {\n      \"sha256\": "...)
		b = appendJSONString(b, e.SHA256)
		b = append(b, ",\n      \"size\": "...)
		b = strconv.AppendInt(b, e.Size, 10)
		b = append(b, "\n    }"...)
	}
	if len(names) > 0 {
		b = append(b, "\n  "...)
	}
	return append(b, "}\n}\n"...)
}

// appendJSONString appends s as encoding/json writes it (HTML characters
// escaped too); anything outside printable ASCII goes to encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '<':
			b = append(b, `\u003c`...)
		case '>':
			b = append(b, `\u003e`...)
		case '&':
			b = append(b, `\u0026`...)
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

func newManifest() *Manifest { return &Manifest{Version: 1, Files: map[string]ManifestEntry{}} }

// ErrBadName is returned for a file name that is not a plain file name.
var ErrBadName = errors.New("not a plain file name")

// CheckName accepts a plain file name: no directory part, no leading dot,
// nothing outside printable ASCII, and never the manifest itself.
func CheckName(name string) error {
	if name == "" || name == ManifestName || strings.HasPrefix(name, ".") || len(name) > 255 {
		return fmt.Errorf("file %q: %w", name, ErrBadName)
	}
	for _, r := range name {
		if r <= ' ' || r > '~' || r == '/' || r == '\\' || r == '%' || r == '?' || r == '#' {
			return fmt.Errorf("file %q: %w", name, ErrBadName)
		}
	}
	return nil
}

func checkFiles(files []render.File) error {
	seen := make(map[string]bool, len(files))
	for _, f := range files {
		if err := CheckName(f.Name); err != nil {
			return err
		}
		if seen[f.Name] {
			return fmt.Errorf("file %q: given twice", f.Name)
		}
		seen[f.Name] = true
	}
	return nil
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Option configures a target.
type Option func(*options)

type options struct {
	source     string
	jobs       int
	logger     *slog.Logger
	caFile     string
	getenv     func(string) string
	timeout    time.Duration
	maxElapsed time.Duration
}

// WithJobs bounds how many files are written at once (default 4 for a
// directory: creates and renames in one directory serialise on its lock in
// the kernel, and on 2 cores more writers measured no faster; 8 for HTTPS).
func WithJobs(n int) Option { return func(o *options) { o.jobs = n } }

// WithSourceDir names the directory the published files are read from (a
// run's DIR/configs). A dir:// target that is that same directory (the demo
// publishes where it renders) lists a file already there with the same bytes
// and mode instead of creating it again; any other directory target writes
// every file its manifest does not hold without looking first, since a
// lookup per new file slows a fresh publish (the directory's lock).
func WithSourceDir(dir string) Option { return func(o *options) { o.source = dir } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithCAFile adds the PEM certificates in path to the system roots an HTTPS
// target's certificate is verified against (a lab CA, for instance).
func WithCAFile(path string) Option { return func(o *options) { o.caFile = path } }

// WithGetenv replaces os.Getenv for reading credentials (tests).
func WithGetenv(f func(string) string) Option { return func(o *options) { o.getenv = f } }

// WithTimeout bounds each HTTP request (default 30 s).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithMaxElapsed bounds the retries of one file (default 2 min).
func WithMaxElapsed(d time.Duration) Option { return func(o *options) { o.maxElapsed = d } }

// Open returns the target a spec names:
//
//	dir:///srv/tftp/cutover   (or dir://relative/path)
//	https://prov.example.com/phones/
//
// HTTPS credentials come from CUTOVER_PUBLISH_TOKEN (bearer) or
// CUTOVER_PUBLISH_USER and CUTOVER_PUBLISH_PASSWORD (basic); a URL carrying
// credentials itself is refused so that they never reach logs or history.
func Open(spec string, opts ...Option) (Target, error) {
	o := &options{getenv: os.Getenv, timeout: 30 * time.Second, maxElapsed: 2 * time.Minute}
	for _, f := range opts {
		f(o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	switch {
	case strings.HasPrefix(spec, "dir://"):
		path := strings.TrimPrefix(spec, "dir://")
		if path == "" {
			return nil, fmt.Errorf("target %q: expected dir://PATH", spec)
		}
		if o.jobs <= 0 {
			o.jobs = 4
		}
		return &dirTarget{dir: path, opts: o, inPlace: o.source != "" && samePath(path, o.source)}, nil
	case strings.HasPrefix(spec, "https://"):
		if o.jobs <= 0 {
			o.jobs = 8
		}
		return newHTTPSTarget(spec, o)
	case strings.HasPrefix(spec, "http://"):
		return nil, fmt.Errorf("target %q: configs hold SIP passwords; use https://", redactURL(spec))
	}
	return nil, fmt.Errorf("target %q: expected dir://PATH or https://URL", redactURL(spec))
}

// samePath reports whether a and b name the same directory once made
// absolute and clean (symbolic links are not followed).
func samePath(a, b string) bool {
	a, errA := filepath.Abs(a)
	b, errB := filepath.Abs(b)
	return errA == nil && errB == nil && a == b
}
