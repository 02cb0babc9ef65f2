package render_test

import (
	"fmt"
	"log"

	"github.com/cutover-dev/cutover/render"
)

// Render a Yealink config from Webex device information and read it back the
// way the certification simulator does.
func Example() {
	r, err := render.New()
	if err != nil {
		log.Fatal(err)
	}
	files, err := r.Render(render.Device{
		Info: render.DeviceInfo{
			MAC: "001565A1B2C3", SIPUserName: "acme_a1b2c3",
			OutboundProxy: "la01.sipconnect-us10.cisco-bcld.com", Domain: "acme123.calls.webex.com",
			Lines: []render.LineInfo{{Port: 1, LinePort: "alice_1001@acme123.calls.webex.com", DisplayName: "Alice"}},
		},
		Make: "Yealink", Model: "T57W", Vendor: render.VendorYealink, Password: "Xy7#pQ2!vR9z",
	})
	if err != nil {
		log.Fatal(err)
	}
	reg, err := render.Read(render.VendorYealink, files[0].Name, files[0].Data)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(files[0].Name)
	fmt.Printf("_sips._tcp.%s over %s %s+, %q\n", reg.SRVDomain, reg.Transport, reg.TLSMin, reg.UserAgent)
	fmt.Printf("%s@%s as %s, expires %d s, trusting %s\n", reg.Lines[0].User, reg.Lines[0].Domain, reg.Lines[0].AuthUser, reg.Expires, reg.TrustRoot)
	// Output:
	// 001565a1b2c3.cfg
	// _sips._tcp.la01.sipconnect-us10.cisco-bcld.com over tls 1.2+, "Yealink T57W"
	// alice_1001@acme123.calls.webex.com as acme_a1b2c3, expires 3600 s, trusting IdenTrust Commercial Root CA 1
}

// FileNames tells which files a device fetches.
func ExampleFileNames() {
	names, _ := render.FileNames(render.VendorPoly, "00:04:F2:A1:B2:C3")
	fmt.Println(names)
	// Output: [0004f2a1b2c3.cfg 0004f2a1b2c3-phone.cfg]
}
