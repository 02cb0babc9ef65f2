package webexapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/webex"
)

// BenchmarkEmulatorHandlerFlow measures the emulator's own cost per call,
// without sockets: the six calls of a device's migration, 10,000 devices,
// through ServeHTTP.
func BenchmarkEmulatorHandlerFlow(b *testing.B) {
	for range b.N {
		b.StopTimer()
		s, _, _, ids := benchSetup(b)
		token := "Bearer " + s.AdminToken()
		serve := func(method, path string, body any, want int, out any) {
			var rd *bytes.Reader
			if body != nil {
				raw, _ := json.Marshal(body)
				rd = bytes.NewReader(raw)
			} else {
				rd = bytes.NewReader(nil)
			}
			req := httptest.NewRequest(method, path, rd)
			req.Header.Set("Authorization", token)
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != want {
				b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
			}
			if out != nil {
				_ = json.Unmarshal(rec.Body.Bytes(), out)
			}
		}
		b.StartTimer()
		start := time.Now()
		for i := range benchDevices {
			mac := fmt.Sprintf("0004F2%06X", i)
			serve("POST", "/v1/telephony/config/devices/actions/validateMacs/invoke", webex.ValidateMACsRequest{MACs: []string{mac}}, 200, nil)
			var d webex.Device
			serve("POST", "/v1/devices", webex.CreateDeviceRequest{MAC: mac, Model: "Yealink T57W Partner Managed", PersonID: ids[i], Password: goodPassword}, 200, &d)
			serve("PUT", "/v1/telephony/config/devices/"+d.CallingDeviceID, webex.SIPPasswordRequest{SIPPassword: "Bench-Pw7!"}, 204, nil)
			serve("PUT", "/v1/telephony/config/devices/"+d.CallingDeviceID+"/members", webex.PutMembersRequest{Members: []webex.MemberPut{
				{Port: 1, ID: ids[i], PrimaryOwner: true, LineType: webex.LinePrimary, LineWeight: 1},
				{Port: 2, ID: ids[(i+1)%benchDevices], LineType: webex.LineShared, LineWeight: 1},
			}}, 204, nil)
			serve("POST", "/v1/telephony/config/devices/"+d.CallingDeviceID+"/actions/applyChanges/invoke", nil, 204, nil)
			serve("GET", "/v1/telephony/config/devices/"+d.CallingDeviceID, nil, 200, nil)
		}
		elapsed := time.Since(start).Seconds()
		b.ReportMetric(6*benchDevices/elapsed, "calls/s")
		b.ReportMetric(elapsed*1e6/(6*benchDevices), "µs/call")
	}
}
