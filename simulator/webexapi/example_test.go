package webexapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/cutover-dev/cutover/simulator/webexapi"
	"github.com/cutover-dev/cutover/webex"
)

// An emulator behind httptest: create a device for a seeded person and read
// back what a migration reads, the SIP user's line port and outbound proxy.
func Example() {
	emu := webexapi.New() // DefaultSeed
	srv := httptest.NewServer(emu)
	defer srv.Close()

	call := func(method, path, body string, out any) int {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+emu.AdminToken())
		resp, err := srv.Client().Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		if out != nil {
			_ = json.NewDecoder(resp.Body).Decode(out)
		}
		return resp.StatusCode
	}

	var people webex.ListResponse[webex.Person]
	call("GET", "/v1/people?callingData=true&email=ada.lovelace@acme.example", "", &people)
	ada := people.Items[0]

	var dev webex.Device
	status := call("POST", "/v1/devices",
		`{"mac":"00:04:f2:a1:b2:c3","model":"Yealink T57W Partner Managed","personId":"`+ada.ID+`","password":"Pass-word9!"}`, &dev)
	fmt.Println("create:", status, dev.MAC, dev.Product)

	var td webex.TelephonyDevice
	call("GET", "/v1/telephony/config/devices/"+dev.CallingDeviceID, "", &td)
	fmt.Println("line port:", td.Owner.LinePort)
	fmt.Println("outbound proxy:", td.Proxy.OutboundProxy)

	status = call("POST", "/v1/devices",
		`{"mac":"0004F2A1B2C3","model":"Yealink T57W Partner Managed","personId":"`+ada.ID+`","password":"Pass-word9!"}`, nil)
	fmt.Println("same MAC again:", status)
	fmt.Println("devices:", emu.Snapshot().Counts.Devices)
	// Output:
	// create: 200 0004F2A1B2C3 Yealink T57W Partner Managed
	// line port: k177nnhvum@headquarters.sip.example.test
	// outbound proxy: sip.cutover.test
	// same MAC again: 409
	// devices: 1
}

// Faults are switches: here every request is answered 503.
func ExampleServer_SetFaults() {
	emu := webexapi.New()
	f, err := webexapi.ParseFaults("error=1")
	if err != nil {
		panic(err)
	}
	emu.SetFaults(f)
	srv := httptest.NewServer(emu)
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/v1/locations", nil)
	req.Header.Set("Authorization", "Bearer "+emu.AdminToken())
	resp, err := srv.Client().Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode >= 500, emu.Faults())
	// Output: true error=1
}
