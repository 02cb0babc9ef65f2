package publish

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/render"
)

func testFiles(n int) []render.File {
	files := make([]render.File, n)
	for i := range files {
		files[i] = render.File{Name: fmt.Sprintf("0015650000%02x.cfg", i), Data: fmt.Appendf(nil, "#!version:1.0.0.1\naccount.1.password = secret-%d\n", i)}
	}
	return files
}

func TestDirPublishSkipsUnchanged(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "www")
	target, err := Open("dir://" + dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	files := testFiles(20)
	res, err := target.Publish(ctx, files)
	if err != nil {
		t.Fatal(err)
	}
	if res.Written != 20 || res.Skipped != 0 {
		t.Fatalf("first publish %+v", res)
	}
	mtimes := map[string]time.Time{}
	for _, f := range files {
		fi, err := os.Stat(filepath.Join(dir, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", f.Name, fi.Mode().Perm())
		}
		mtimes[f.Name] = fi.ModTime()
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, %v", fi.Mode().Perm(), err)
	}
	man := readManifest(t, dir)
	if len(man.Files) != 20 || man.Files[files[3].Name].SHA256 != sum(files[3].Data) || man.Files[files[3].Name].Size != int64(len(files[3].Data)) {
		t.Errorf("manifest %+v", man.Files[files[3].Name])
	}
	manStat, _ := os.Stat(filepath.Join(dir, ManifestName))

	// Let any rewrite show up as a new mtime even on coarse clocks.
	time.Sleep(20 * time.Millisecond)
	res, err = target.Publish(ctx, files)
	if err != nil {
		t.Fatal(err)
	}
	if res.Written != 0 || res.Skipped != 20 {
		t.Fatalf("re-publish %+v, want nothing written", res)
	}
	for _, f := range files {
		fi, _ := os.Stat(filepath.Join(dir, f.Name))
		if !fi.ModTime().Equal(mtimes[f.Name]) {
			t.Errorf("%s rewritten", f.Name)
		}
	}
	if fi, _ := os.Stat(filepath.Join(dir, ManifestName)); !fi.ModTime().Equal(manStat.ModTime()) {
		t.Error("manifest rewritten although nothing changed")
	}

	// One changed file and one deleted behind the manifest's back.
	files[5].Data = []byte("#!version:1.0.0.1\nchanged\n")
	os.Remove(filepath.Join(dir, files[7].Name))
	res, err = target.Publish(ctx, files)
	if err != nil {
		t.Fatal(err)
	}
	if res.Written != 2 || res.Skipped != 18 {
		t.Fatalf("publish after change %+v", res)
	}
	got, _ := os.ReadFile(filepath.Join(dir, files[5].Name))
	if string(got) != string(files[5].Data) {
		t.Error("changed file not written")
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".tmp-*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// A directory target on the directory its files come from (the demo renders
// where it publishes) lists the files already there with the same bytes
// without creating them again; one whose bytes or mode differ is replaced.
// Any other directory target writes every file its manifest does not hold.
func TestDirPublishKeepsFilesAlreadyInPlace(t *testing.T) {
	for _, tc := range []struct {
		name    string
		source  func(dir string) string
		keepsOK bool
	}{
		{"the source directory", func(dir string) string { return dir }, true},
		{"another directory", func(string) string { return t.TempDir() }, false},
		{"no source given", func(string) string { return "" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "www")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			files := testFiles(3)
			for _, f := range files {
				if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, files[1].Name), []byte("stale"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(filepath.Join(dir, files[2].Name), 0o644); err != nil {
				t.Fatal(err)
			}
			before := map[string]os.FileInfo{}
			for _, f := range files {
				before[f.Name], _ = os.Stat(filepath.Join(dir, f.Name))
			}
			var opts []Option
			if src := tc.source(dir); src != "" {
				opts = append(opts, WithSourceDir(src))
			}
			target, err := Open("dir://"+dir, opts...)
			if err != nil {
				t.Fatal(err)
			}
			res, err := target.Publish(context.Background(), files)
			if err != nil {
				t.Fatal(err)
			}
			if res.Written != 3 {
				t.Fatalf("publish %+v, want all 3 listed as published", res)
			}
			for i, f := range files {
				fi, err := os.Stat(filepath.Join(dir, f.Name))
				if err != nil {
					t.Fatal(err)
				}
				if got, _ := os.ReadFile(filepath.Join(dir, f.Name)); string(got) != string(f.Data) || fi.Mode().Perm() != 0o600 {
					t.Errorf("%s holds %q, mode %v", f.Name, got, fi.Mode().Perm())
				}
				if kept, want := os.SameFile(before[f.Name], fi), tc.keepsOK && i == 0; kept != want {
					t.Errorf("%s: same file as before = %v, want %v", f.Name, kept, want)
				}
			}
			if man := readManifest(t, dir); len(man.Files) != 3 {
				t.Errorf("manifest lists %d files, want 3", len(man.Files))
			}
		})
	}
}

func TestPublishRejectsBadNames(t *testing.T) {
	target, err := Open("dir://" + t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"../etc/passwd", "a/b.cfg", ".hidden", ManifestName, "", "a b"} {
		_, err := target.Publish(context.Background(), []render.File{{Name: name, Data: []byte("x")}})
		if !errors.Is(err, ErrBadName) {
			t.Errorf("%q: got %v, want ErrBadName", name, err)
		}
	}
}

func TestOpenRejects(t *testing.T) {
	for _, spec := range []string{"ftp://x", "http://prov.example.com/", "https://user:hunter2@prov.example.com/", "dir://"} {
		_, err := Open(spec)
		if err == nil {
			t.Errorf("%q accepted", spec)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: error carries the password: %v", spec, err)
		}
	}
}

// provServer is a provisioning server accepting PUTs, like a WebDAV share.
type provServer struct {
	mu       sync.Mutex
	files    map[string][]byte
	auth     []string
	puts     atomic.Int64
	failNext atomic.Int64 // answer this many requests with 503
	status   int          // when non-zero, answer every PUT with it
}

func (p *provServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.auth = append(p.auth, r.Header.Get("Authorization"))
	p.mu.Unlock()
	if p.failNext.Add(-1) >= 0 {
		w.Header().Set("Retry-After", "0")
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/phones/")
	switch r.Method {
	case http.MethodGet:
		p.mu.Lock()
		b, ok := p.files[name]
		p.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	case http.MethodPut:
		if p.status != 0 {
			// Echo the request's credentials, as careless servers do.
			http.Error(w, "denied for "+r.Header.Get("Authorization"), p.status)
			return
		}
		b, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		p.files[name] = b
		p.mu.Unlock()
		p.puts.Add(1)
		w.WriteHeader(http.StatusCreated)
	}
}

func tlsServer(t *testing.T, h http.Handler) (*httptest.Server, string) {
	t.Helper()
	ts := httptest.NewUnstartedServer(h)
	// The refused handshakes of TestHTTPSRefusesUnknownCA are expected.
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return ts, ca
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestHTTPSPublish(t *testing.T) {
	srv := &provServer{files: map[string][]byte{}}
	ts, ca := tlsServer(t, srv)
	target, err := Open(ts.URL+"/phones", WithCAFile(ca), WithGetenv(env(map[string]string{EnvToken: "tok-abc123"})))
	if err != nil {
		t.Fatal(err)
	}
	files := testFiles(12)
	res, err := target.Publish(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	if res.Written != 12 || srv.puts.Load() != 13 { // 12 configs and the manifest
		t.Fatalf("result %+v, %d PUTs", res, srv.puts.Load())
	}
	if string(srv.files[files[4].Name]) != string(files[4].Data) {
		t.Error("content differs at the server")
	}
	var man Manifest
	if err := json.Unmarshal(srv.files[ManifestName], &man); err != nil || len(man.Files) != 12 {
		t.Fatalf("server manifest %v %v", man, err)
	}
	for _, a := range srv.auth {
		if a != "Bearer tok-abc123" {
			t.Fatalf("Authorization %q", a)
		}
	}
	res, err = target.Publish(context.Background(), files)
	if err != nil || res.Written != 0 || res.Skipped != 12 || srv.puts.Load() != 13 {
		t.Fatalf("re-publish %+v %v (%d PUTs), want nothing written", res, err, srv.puts.Load())
	}
}

func TestHTTPSRefusesUnknownCA(t *testing.T) {
	srv := &provServer{files: map[string][]byte{}}
	ts, _ := tlsServer(t, srv)
	target, err := Open(ts.URL+"/phones", WithGetenv(env(nil)), WithMaxElapsed(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	_, err = target.Publish(context.Background(), testFiles(1))
	if err == nil || !strings.Contains(err.Error(), "x509") {
		t.Fatalf("got %v, want an x509 verification error", err)
	}
	if srv.puts.Load() != 0 {
		t.Error("a file reached the server")
	}
}

func TestHTTPSBasicAuthRetriesAndRedacts(t *testing.T) {
	srv := &provServer{files: map[string][]byte{}}
	srv.failNext.Store(2)
	ts, ca := tlsServer(t, srv)
	creds := env(map[string]string{EnvUser: "prov", EnvPassword: "pa55-secret"})
	target, err := Open(ts.URL+"/phones/", WithCAFile(ca), WithGetenv(creds))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := target.Publish(context.Background(), testFiles(3)); err != nil {
		t.Fatalf("publish through two 503s: %v", err)
	}
	if len(srv.auth) < 6 || !strings.HasPrefix(srv.auth[len(srv.auth)-1], "Basic ") {
		t.Fatalf("auth headers %q", srv.auth)
	}

	srv.status = http.StatusForbidden
	srv.files = map[string][]byte{}
	_, err = target.Publish(context.Background(), testFiles(1))
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("got %v, want a 403 error", err)
	}
	for _, secret := range []string{"pa55-secret", "cHJvdjpwYTU1LXNlY3JldA"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error carries a credential: %v", err)
		}
	}
}
