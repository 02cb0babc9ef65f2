package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/internal/labtool"
)

// layoutProbe runs in the page after its own script and writes what the
// browser laid out into #layout-probe: where the verdict ends, what sticks
// out horizontally, the devices table as rendered, and what a click on a
// failing device's row opens.
const layoutProbe = `<script>
(function () {
  var W = document.documentElement.clientWidth, out = { width: W, overflow: [] };
  function name(el) { return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && el.className.baseVal === undefined ? '.' + el.className : ''); }
  out.pageScrollWidth = document.documentElement.scrollWidth;
  var v = document.getElementById('verdict').getBoundingClientRect();
  out.verdictBottom = v.bottom + window.scrollY;
  document.querySelectorAll('header *, main *').forEach(function (el) {
    if (el.closest('.table-wrap')) return; // a wrap is checked as a whole below
    var r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > W + 0.5 || r.left < -0.5)) out.overflow.push(name(el) + ' right=' + Math.round(r.right));
  });
  document.querySelectorAll('section, .table-wrap').forEach(function (el) {
    if (el.id === 'matrix-wrap') return; // the one thing that may scroll sideways, inside its card
    if (el.scrollWidth > el.clientWidth + 1) out.overflow.push(name(el) + ' scrolls ' + el.scrollWidth + '>' + el.clientWidth);
  });
  var mw = document.getElementById('matrix-wrap');
  if (mw) {
    var r = mw.getBoundingClientRect(), sec = mw.closest('section').getBoundingClientRect();
    out.matrixFits = mw.scrollWidth <= mw.clientWidth + 1;
    out.matrixInCard = r.left >= sec.left - 0.5 && r.right <= sec.right + 0.5;
    var mac = document.querySelector('#matrix tbody td');
    out.matrixMACSticky = mac ? getComputedStyle(mac).position === 'sticky' : false;
  }
  var cols = Array.prototype.map.call(document.querySelectorAll('#devices thead th'), function (th) { return th.textContent; });
  var ci = cols.indexOf('Cause'), si = cols.indexOf('Status'), ki = cols.indexOf('Cert');
  out.devices = [];
  var first = null;
  document.querySelectorAll('#devices tbody tr.dev').forEach(function (tr) {
    var c = tr.cells;
    var causeVisible = c[ci].getBoundingClientRect().width > 0;
    out.devices.push({ mac: c[0].textContent, status: c[si].textContent, cert: c[ki].textContent, cause: c[ci].textContent, causeVisible: causeVisible });
    if (!first && c[ki].textContent === 'fail') first = tr;
  });
  if (first) {
    first.click();
    var d = first.nextSibling;
    out.detail = d && d.className === 'detail' ? Array.prototype.map.call(d.querySelectorAll(':scope table > tbody > tr'), function (tr) { return tr.textContent; }) : null;
    var dr = d ? d.getBoundingClientRect() : null;
    out.detailVisible = !!dr && dr.width > 0 && dr.height > 0;
    var dw = document.querySelector('#devices').closest('.table-wrap');
    if (dw.scrollWidth > dw.clientWidth + 1) out.overflow.push('devices with a row open scrolls ' + dw.scrollWidth + '>' + dw.clientWidth);
  }
  var pre = document.createElement('pre');
  pre.id = 'layout-probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>`

type layout struct {
	Width           int      `json:"width"`
	PageScrollWidth int      `json:"pageScrollWidth"`
	VerdictBottom   float64  `json:"verdictBottom"`
	Overflow        []string `json:"overflow"`
	MatrixFits      bool     `json:"matrixFits"`
	MatrixInCard    bool     `json:"matrixInCard"`
	MatrixMACSticky bool     `json:"matrixMACSticky"`
	Devices         []struct {
		MAC, Status, Cert, Cause string
		CauseVisible             bool
	} `json:"devices"`
	Detail        []string `json:"detail"`
	DetailVisible bool     `json:"detailVisible"`
}

// chromiumLayout opens the report at path in headless Chromium with a
// window width wide and returns what the probe measured.
func chromiumLayout(t *testing.T, path string, width int) layout {
	t.Helper()
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	probed := filepath.Join(t.TempDir(), "probed.html")
	i := bytes.LastIndex(page, []byte("</body>"))
	if i < 0 {
		t.Fatal("no </body>")
	}
	page = append(page[:i:i], append([]byte(layoutProbe), page[i:]...)...)
	if err := os.WriteFile(probed, page, 0o600); err != nil {
		t.Fatal(err)
	}
	chromium := labtool.Need(t, "chromium", "chromium-browser")
	out := labtool.Run(t, 90*time.Second, chromium,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--hide-scrollbars",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=5000", fmt.Sprintf("--window-size=%d,900", width),
		"--dump-dom", "file://"+probed)
	doc, err := html.Parse(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	var l layout
	if err := json.Unmarshal([]byte(labtool.Text(labtool.ByID(t, doc, "layout-probe"))), &l); err != nil {
		t.Fatal(err)
	}
	return l
}

// TestChromiumScenarioLayout opens the three scenario reports at 1,400 and
// 500 px: the verdict is on the first screen, nothing but the matrix
// overflows sideways (and the matrix only inside its card), and every
// failing device shows its cause.
func TestChromiumScenarioLayout(t *testing.T) {
	labtool.Need(t, "chromium", "chromium-browser")
	for _, name := range []string{scenarioPassing, scenarioExpired, scenarioPassword} {
		d := certifiedScenario(t, name).data()
		path := writeScenario(t, name, d)
		for _, width := range []int{1400, 500} {
			t.Run(fmt.Sprintf("%s/%d", name, width), func(t *testing.T) {
				l := chromiumLayout(t, path, width)
				checkLayout(t, d, l, width)
			})
		}
	}
}

// TestChromiumMixedRunLayout is the same check on a run with a bit of
// everything (migration failures, conflicts, invalid rows, a crash,
// certification failures, long URLs and planted markup in the text).
func TestChromiumMixedRunLayout(t *testing.T) {
	labtool.Need(t, "chromium", "chromium-browser")
	d := synth(60, 7).data()
	path := writeScenario(t, "mixed", d)
	for _, width := range []int{1400, 500} {
		t.Run(strconv.Itoa(width), func(t *testing.T) { checkLayout(t, d, chromiumLayout(t, path, width), width) })
	}
}

func checkLayout(t *testing.T, d *Data, l layout, width int) {
	t.Helper()
	if l.Width == 0 || l.Width > width {
		t.Fatalf("viewport %d px, asked for %d", l.Width, width)
	}
	if l.VerdictBottom <= 0 || l.VerdictBottom > 800 {
		t.Errorf("the verdict ends at %.0f px, want within the first 800", l.VerdictBottom)
	}
	if l.PageScrollWidth > l.Width {
		t.Errorf("the page scrolls sideways: %d px wide in a %d px window", l.PageScrollWidth, l.Width)
	}
	if len(l.Overflow) > 0 {
		t.Errorf("overflowing horizontally: %s", strings.Join(l.Overflow, "; "))
	}
	if !l.MatrixInCard || !l.MatrixMACSticky {
		t.Errorf("matrix: in its card %v, MAC column sticky %v", l.MatrixInCard, l.MatrixMACSticky)
	}
	if width >= 1400 && !l.MatrixFits {
		t.Error("the matrix does not fit 1,280 px")
	}
	if len(l.Devices) != len(d.Devices) {
		t.Fatalf("%d device rows rendered, want %d", len(l.Devices), len(d.Devices))
	}
	failing := 0
	for _, r := range l.Devices {
		if r.Cert == string(certify.Fail) || r.Status == string(StatusFailed) {
			failing++
			if strings.TrimSpace(r.Cause) == "" || !r.CauseVisible {
				t.Errorf("failing device %s shows no cause (visible %v)", r.MAC, r.CauseVisible)
			}
		}
	}
	want := 0
	for _, dev := range d.Devices {
		if dev.Cert == certify.Fail || dev.Status == StatusFailed {
			want++
		}
	}
	if failing != want {
		t.Errorf("%d failing rows, want %d", failing, want)
	}
	if failing > 0 {
		if len(l.Detail) != len(d.Cases) || !l.DetailVisible {
			t.Errorf("a click on a failing row opened %d case rows (visible %v), want %d", len(l.Detail), l.DetailVisible, len(d.Cases))
		}
	}
}

// TestChromiumLayoutProbeSeesBreakage breaks a report on purpose (a wide
// block pushing the verdict down, a failing device without its cause) and
// checks the probe notices each: the layout test above can fail.
func TestChromiumLayoutProbeSeesBreakage(t *testing.T) {
	labtool.Need(t, "chromium", "chromium-browser")
	d := certifiedScenario(t, scenarioPassword).data()
	var broken string
	for i := range d.Devices {
		if d.Devices[i].Cert == certify.Fail {
			broken, d.Devices[i].Cause = d.Devices[i].MAC, ""
			break
		}
	}
	path := writeScenario(t, "broken", d)
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page = bytes.Replace(page, []byte("<main>"), []byte(`<main><div style="width:2000px;height:900px">wide</div>`), 1)
	if err := os.WriteFile(path, page, 0o600); err != nil {
		t.Fatal(err)
	}
	l := chromiumLayout(t, path, 1400)
	if l.VerdictBottom <= 800 || len(l.Overflow) == 0 || l.PageScrollWidth <= l.Width {
		t.Errorf("probe missed the wide block: verdict at %.0f, overflow %q, page %d px", l.VerdictBottom, l.Overflow, l.PageScrollWidth)
	}
	for _, r := range l.Devices {
		if r.MAC == broken && r.Cause != "" {
			t.Errorf("probe read cause %q for %s, whose cause was removed", r.Cause, broken)
		}
	}
}
