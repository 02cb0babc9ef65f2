// Package labtool runs the independent tools tests read our output with
// (headless Chromium, LibreOffice): it skips a test when a tool is missing,
// or fails it when CUTOVER_REQUIRE_LAB=1 (CI installs them), and never lets a
// hung tool outlive the test.
package labtool

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// Need returns the path of a lab tool, skipping the test when it is
// missing, or failing it when CUTOVER_REQUIRE_LAB=1 (CI installs the tools).
func Need(t testing.TB, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("CUTOVER_REQUIRE_LAB") == "1" {
		t.Fatalf("%s not installed and CUTOVER_REQUIRE_LAB=1", names[0])
	}
	t.Skipf("%s not installed", names[0])
	return ""
}

// Run runs a lab tool in its own process group with a deadline, so that
// a hung browser or office process never outlives the test.
func Run(t testing.TB, timeout time.Duration, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	setProcessGroup(cmd)
	err := cmd.Run()
	killGroup(cmd)
	if err != nil {
		t.Fatalf("%s: %v\n%s", filepath.Base(name), err, Tail(stderr.String(), 2000))
	}
	return stdout.Bytes()
}

// Tail returns the last n bytes of s.
func Tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// ChromiumDOM opens url in headless Chromium and returns the DOM after the
// page's script ran.
func ChromiumDOM(t testing.TB, url string) *html.Node {
	t.Helper()
	chromium := Need(t, "chromium", "chromium-browser")
	out := Run(t, 90*time.Second, chromium,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=5000", "--dump-dom", url)
	doc, err := html.Parse(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// Attr returns an attribute of n, or "".
func Attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// Find returns the elements below n (n included) that match.
func Find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

// ByID returns the one element with the id.
func ByID(t testing.TB, doc *html.Node, id string) *html.Node {
	t.Helper()
	ns := Find(doc, func(n *html.Node) bool { return Attr(n, "id") == id })
	if len(ns) != 1 {
		t.Fatalf("%d elements with id %q", len(ns), id)
	}
	return ns[0]
}

// Text returns the text below n.
func Text(n *html.Node) string {
	var b strings.Builder
	for _, t := range Find(n, func(*html.Node) bool { return true }) {
		for c := t.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.TextNode {
				b.WriteString(c.Data)
			}
		}
	}
	return b.String()
}

// BodyRows returns the rendered rows of a table, each as its cells' text.
func BodyRows(t testing.TB, doc *html.Node, id string) [][]string {
	t.Helper()
	var rows [][]string
	for _, tr := range Find(ByID(t, doc, id), func(n *html.Node) bool { return n.Data == "tr" && n.Parent.Data == "tbody" }) {
		var cells []string
		for _, td := range Find(tr, func(n *html.Node) bool { return n.Data == "td" }) {
			cells = append(cells, Text(td))
		}
		rows = append(rows, cells)
	}
	return rows
}

// Output collects what a command writes (a child process's pipes are
// copied in from goroutines) and may be read while it still writes.
type Output struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}
