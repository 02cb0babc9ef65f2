package publish

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/icholy/digest"

	"github.com/cutover-dev/cutover/internal/identrust"
	"github.com/cutover-dev/cutover/render"
)

func servedDir(t *testing.T) (string, []render.File) {
	t.Helper()
	dir := t.TempDir()
	files := []render.File{
		{Name: "001565a1b2c3.cfg", Data: []byte("#!version:1.0.0.1\nyealink\n")},
		{Name: "0004f2a1b2c3.cfg", Data: []byte("<APPLICATION/>\n")},
		{Name: "0004f2a1b2c3-phone.cfg", Data: []byte("<polycomConfig/>\n")},
		{Name: "00908FA1B2C3.ini", Data: []byte("; gateway\n")},
		{Name: "IdenTrust_Commercial_Root_CA_1.pem", Data: identrust.CommercialRootCA1},
		{Name: "key.pem", Data: []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")},
	}
	target, err := Open("dir://" + dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := target.Publish(context.Background(), files); err != nil {
		t.Fatal(err)
	}
	// A file on disk that the manifest does not list.
	if err := os.WriteFile(filepath.Join(dir, "stray.cfg"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, files
}

func testUsers(t *testing.T) Users {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users")
	text := "# lab devices\n00:15:65:A1:B2:C3 yealink1:Yl-pass-1\n0004f2a1b2c3 poly1:Po-pass-1\n00908FA1B2C3.ini gw1:Gw-pass-1\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	u, err := ReadUsers(path)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func client(ts *httptest.Server) *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

func get(t *testing.T, c *http.Client, url, user, pass string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestConfigServer(t *testing.T) {
	dir, files := servedDir(t)
	h, err := NewConfigServer(dir, testUsers(t))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewTLSServer(h)
	defer ts.Close()
	c := client(ts)

	cases := []struct {
		path, user, pass string
		want             int
	}{
		{"/001565a1b2c3.cfg", "yealink1", "Yl-pass-1", 200},
		{"/001565a1b2c3.cfg", "", "", 401},
		{"/001565a1b2c3.cfg", "yealink1", "wrong", 401},
		{"/001565a1b2c3.cfg", "poly1", "Po-pass-1", 401}, // another device's login
		{"/0004f2a1b2c3-phone.cfg", "poly1", "Po-pass-1", 200},
		{"/00908FA1B2C3.ini", "gw1", "Gw-pass-1", 200},
		{"/stray.cfg", "yealink1", "Yl-pass-1", 404},
		{"/manifest.json", "yealink1", "Yl-pass-1", 404},
		{"/", "yealink1", "Yl-pass-1", 404},
		{"/../001565a1b2c3.cfg", "yealink1", "Yl-pass-1", 404},
		{"/nothere.cfg", "", "", 404},
		// The CA the configs name is public; other unowned files are not.
		{"/IdenTrust_Commercial_Root_CA_1.pem", "", "", 200},
		{"/IdenTrust_Commercial_Root_CA_1.pem", "yealink1", "Yl-pass-1", 200},
		{"/key.pem", "", "", 404},
		{"/key.pem", "yealink1", "Yl-pass-1", 404},
	}
	for _, tc := range cases {
		code, body := get(t, c, ts.URL+tc.path, tc.user, tc.pass)
		if code != tc.want {
			t.Errorf("GET %s as %q: %d, want %d", tc.path, tc.user, code, tc.want)
		}
		if code == 200 && tc.path == "/001565a1b2c3.cfg" && body != string(files[0].Data) {
			t.Errorf("body %q", body)
		}
	}

	// A 401 offers Digest (SHA-256 and MD5) and Basic.
	resp, err := c.Get(ts.URL + "/001565a1b2c3.cfg")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ch := strings.Join(resp.Header.Values("WWW-Authenticate"), " | ")
	for _, want := range []string{"algorithm=SHA-256", "algorithm=MD5", "Basic"} {
		if !strings.Contains(ch, want) {
			t.Errorf("challenge %q lacks %s", ch, want)
		}
	}
}

func TestConfigServerDigest(t *testing.T) {
	dir, files := servedDir(t)
	h, err := NewConfigServer(dir, testUsers(t))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewTLSServer(h)
	defer ts.Close()
	base := client(ts).Transport
	for _, tc := range []struct {
		pass string
		want int
	}{{"Yl-pass-1", 200}, {"bad", 401}} {
		// An independent digest client (github.com/icholy/digest).
		c := &http.Client{Transport: &digest.Transport{Username: "yealink1", Password: tc.pass, Transport: base}}
		resp, err := c.Get(ts.URL + "/001565a1b2c3.cfg")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("digest with password %q: %d, want %d", tc.pass, resp.StatusCode, tc.want)
		}
		if tc.want == 200 && string(b) != string(files[0].Data) {
			t.Errorf("body %q", b)
		}
	}
}

func TestConfigServerRefusesTamperedFile(t *testing.T) {
	dir, _ := servedDir(t)
	h, err := NewConfigServer(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewTLSServer(h)
	defer ts.Close()
	c := client(ts)
	if code, _ := get(t, c, ts.URL+"/001565a1b2c3.cfg", "", ""); code != 200 {
		t.Fatalf("without users: %d, want 200", code)
	}
	if err := os.WriteFile(filepath.Join(dir, "001565a1b2c3.cfg"), []byte("tampered"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, c, ts.URL+"/001565a1b2c3.cfg", "", ""); code != http.StatusServiceUnavailable {
		t.Errorf("tampered file: %d, want 503", code)
	}
}

func TestReadUsersErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	for text, line := range map[string]string{
		"001565A1B2C3\n": "users:2", "001565A1B2C3 user\n": "users:2", "../x u:p\n": "users:2",
		"001565A1B2C3 a:b\n00:15:65:a1:b2:c3 c:d\n": "users:3",
	} {
		os.WriteFile(path, []byte("# header\n"+text), 0o600)
		_, err := ReadUsers(path)
		if err == nil || !strings.Contains(err.Error(), line) {
			t.Errorf("%q: got %v, want an error at %s", text, err, line)
		}
		if err != nil && strings.Contains(err.Error(), "c:d") {
			t.Errorf("error carries the password: %v", err)
		}
	}
	if _, err := NewConfigServer(t.TempDir(), nil); err == nil {
		t.Error("a directory without manifest.json served")
	}
}
