package migrate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/cutover-dev/cutover/render"
	"github.com/cutover-dev/cutover/rundir"
)

// FuzzReadInfo feeds the device-info reader arbitrary files: it returns
// the info or an error, never panics, and never returns the info of another
// MAC than the one asked for (a copied or renamed file).
func FuzzReadInfo(f *testing.F) {
	const mac = "0004F2A1B2C3"
	good, err := json.Marshal(render.DeviceInfo{
		MAC: mac, Model: "DMS Poly VVX 450", DeviceID: "Y2lzY29zcGFyazovL3VzL0RFVklDRS8x",
		SIPUserName: "ada123", OutboundProxy: "lon.sipconnect.bcld.webex.com", Domain: "acme.example.com",
		Lines: []render.LineInfo{{Port: 1, LinePort: "ada_1@acme.example.com", PrimaryOwner: true}},
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range [][]byte{good, []byte(`{"mac":"0004F2A1B2C4"}`), []byte(`{"mac":"0004F2A1B2C3","lines":[{"port":"x"}]}`), []byte("{"), nil, []byte(`{"mac":null}`)} {
		f.Add(s)
	}
	// One directory per process: a temporary directory per input costs
	// more than the read.
	dir := f.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, rundir.InfoDir), 0o755); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(rundir.InfoPath(dir, mac), b, 0o644); err != nil {
			t.Fatal(err)
		}
		info, err := ReadInfo(dir, mac)
		if err != nil {
			if info != nil {
				t.Fatal("info returned with an error")
			}
			return
		}
		if info.MAC != mac {
			t.Fatalf("read the info of %q for %s", info.MAC, mac)
		}
	})
}
