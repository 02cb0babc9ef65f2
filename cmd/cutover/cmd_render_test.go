package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/render"
	"github.com/cutover-dev/cutover/render/publish"
)

// TestMigrateRenderPublish runs the whole path: a migration with the render
// and publish steps, then render and publish again, which find nothing to do.
func TestMigrateRenderPublish(t *testing.T) {
	e := newMigrateEnv(t, 12)
	pub := filepath.Join(t.TempDir(), "pub")
	var out, errb bytes.Buffer
	const prov = "https://prov.example.com/cutover/"
	code := run(context.Background(), e.args("migrate", e.inv, "--run", e.dir, "--publish", "dir://"+pub, "--provisioning-url", prov), &out, &errb)
	if code != exitOK {
		t.Fatalf("migrate exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	configs, err := publish.ReadFiles(filepath.Join(e.dir, "configs"))
	if err != nil || len(configs) < len(e.devs) {
		t.Fatalf("%d configs for %d devices (%v)", len(configs), len(e.devs), err)
	}
	published, err := publish.ReadFiles(pub)
	if err != nil || len(published) != len(configs) {
		t.Fatalf("%d published, %d rendered (%v)", len(published), len(configs), err)
	}
	byURL := 0 // configs naming the CA by its URL (Yealink, AudioCodes)
	for _, f := range configs {
		fi, err := os.Stat(filepath.Join(e.dir, "configs", f.Name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f.Name, fi.Mode(), err)
		}
		if strings.HasSuffix(f.Name, "-phone.cfg") {
			continue // read through its master config
		}
		if f.Name == "IdenTrust_Commercial_Root_CA_1.pem" {
			continue // the CA, published beside the configs
		}
		reg, err := render.ReadFile(filepath.Join(pub, f.Name))
		if err != nil {
			t.Errorf("reading published %s: %v", f.Name, err)
			continue
		}
		if reg.TrustURL != "" && reg.TrustURL != prov+"IdenTrust_Commercial_Root_CA_1.pem" {
			t.Errorf("%s names the CA %s", f.Name, reg.TrustURL)
		}
		if reg.TrustURL != "" {
			byURL++
		}
		// TLS, or DNS NAPTR then SRV choosing it (Poly); TLS 1.2 as the
		// floor unless the vendor documents none (AudioCodes 6.x).
		_, floorUnknown := reg.UnknownFor(render.SettingTLSMin)
		if (reg.Transport != "tls" && reg.Transport != "dns-naptr") || (reg.TLSMin != "1.2" && !floorUnknown) || reg.SRVDomain == "" || reg.Lines[0].Password == "" {
			t.Errorf("%s reads back as transport %q, TLS %q, SRV %q (password set: %v)", f.Name, reg.Transport, reg.TLSMin, reg.SRVDomain, reg.Lines[0].Password != "")
		}
	}

	if byURL == 0 {
		t.Error("no config names the CA by its URL")
	}
	if _, err := os.Stat(filepath.Join(pub, "IdenTrust_Commercial_Root_CA_1.pem")); err != nil {
		t.Errorf("the CA is not published: %v", err)
	}

	// Re-rendered without the flag: the run's recorded URL is kept, so
	// nothing changes.
	out.Reset()
	if code := run(context.Background(), []string{"cutover", "render", "--run", e.dir}, &out, &errb); code != exitOK {
		t.Fatalf("render exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "rendered 0 devices") || !strings.Contains(out.String(), "0 failed") || strings.Contains(out.String(), "no --provisioning-url") {
		t.Errorf("re-render output %q, want nothing to write", out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"cutover", "publish", "--run", e.dir, "--to", "dir://" + pub}, &out, &errb); code != exitOK {
		t.Fatalf("publish exit %d\n%s", code, errb.String())
	}
	if !strings.HasPrefix(out.String(), "published 0 files") {
		t.Errorf("re-publish output %q, want nothing written", out.String())
	}
	for _, f := range configs {
		if strings.Contains(out.String()+errb.String(), string(f.Data)) {
			t.Fatal("a config reached the terminal")
		}
	}
}

func TestRenderPublishUsageErrors(t *testing.T) {
	dir := t.TempDir()
	cases := [][]string{
		{"cutover", "render"},
		{"cutover", "render", "--run", dir},                          // no plan.json
		{"cutover", "render", "--run", dir, "--templates", "/nope"},  // no templates dir
		{"cutover", "publish", "--run", dir, "--to", "ftp://x"},      // bad target
		{"cutover", "publish", "--run", dir, "--to", "dir://" + dir}, // nothing rendered
		{"cutover", "serve-configs", "--dir", dir, "--cert", "c", "--key", "k"},
	}
	for _, args := range cases {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb); code != exitUsage {
			t.Errorf("%q: exit %d, want %d (%s)", args, code, exitUsage, errb.String())
		}
	}
}

func TestServeConfigs(t *testing.T) {
	tmp := t.TempDir()
	pub := filepath.Join(tmp, "pub")
	target, err := publish.Open("dir://" + pub)
	if err != nil {
		t.Fatal(err)
	}
	cfg := []byte("#!version:1.0.0.1\naccount.1.password = Sip-Pass-1!\n")
	if _, err := target.Publish(context.Background(), []render.File{{Name: "001565a1b2c3.cfg", Data: cfg}}); err != nil {
		t.Fatal(err)
	}
	users := filepath.Join(tmp, "users")
	os.WriteFile(users, []byte("001565A1B2C3 dev1:Prov-Pass-1\n"), 0o600)
	certFile, keyFile, pool := labServerCert(t, tmp)

	m, _, stop := startCommand(t, regexp.MustCompile(`https://(127\.0\.0\.1:\d+)`),
		"cutover", "serve-configs", "--dir", pub, "--listen", "127.0.0.1:0",
		"--cert", certFile, "--key", keyFile, "--users", users)
	addr := m[1]
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	get := func(path, user, pass string) (int, []byte) {
		req, _ := http.NewRequest(http.MethodGet, "https://"+addr+path, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if code, body := get("/001565a1b2c3.cfg", "dev1", "Prov-Pass-1"); code != 200 || !bytes.Equal(body, cfg) {
		t.Errorf("GET with login: %d %q", code, body)
	}
	if code, _ := get("/001565a1b2c3.cfg", "", ""); code != 401 {
		t.Errorf("GET without login: %d", code)
	}
	if code, _ := get("/", "dev1", "Prov-Pass-1"); code != 404 {
		t.Errorf("GET /: %d", code)
	}
	if code := stop(); code != exitOK {
		t.Errorf("exit %d after Ctrl-C", code)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("still listening")
	}
}
