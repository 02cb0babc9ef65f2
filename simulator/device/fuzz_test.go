package device

import (
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// FuzzGrantedExpires feeds registrar answers (untrusted input) to the code
// that reads back the granted lifetime and our binding: it must never
// panic, and a lifetime it reports is never negative.
func FuzzGrantedExpires(f *testing.F) {
	f.Add("SIP/2.0 200 OK\r\nContact: <sip:1001@127.0.0.1:5555;transport=tls>;expires=600\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n")
	f.Add("SIP/2.0 200 OK\r\nContact: <sip:a@b>;expires=x, <sip:1001@127.0.0.1:5555;transport=tls>;expires=-5\r\nContent-Length: 0\r\n\r\n")
	f.Add("SIP/2.0 200 OK\r\nExpires: 99999999999999999999\r\nContent-Length: 0\r\n\r\n")
	ours := &sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1", Port: 5555}}
	f.Add("SIP/2.0 200 OK\r\nContact: <sip:1001@127.0.0.1:5555;transport=tls>;expires=-5\r\nContent-Length: 0\r\n\r\n")
	f.Fuzz(func(t *testing.T, raw string) {
		msg, err := sip.ParseMessage([]byte(raw))
		if err != nil {
			return
		}
		res, ok := msg.(*sip.Response)
		if !ok {
			return
		}
		got, _ := grantedExpires(res, ours, time.Hour)
		if got < 0 {
			t.Fatalf("negative lifetime %s", got)
		}
	})
}

func TestGrantedExpiresHugeValue(t *testing.T) {
	msg, err := sip.ParseMessage([]byte("SIP/2.0 200 OK\r\nExpires: 9223372036854775807\r\nContent-Length: 0\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := grantedExpires(msg.(*sip.Response), &sip.ContactHeader{}, time.Hour)
	if got <= 0 {
		t.Fatalf("lifetime %s", got)
	}
}
