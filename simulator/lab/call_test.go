package lab

import (
	"context"
	"crypto/tls"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/cutover-dev/cutover/simulator/pki"
)

// labDevice is a raw sipgo UA that stays registered on one connection.
type labDevice struct {
	user   string
	ua     *sipgo.UserAgent
	client *sipgo.Client
	server *sipgo.Server
	dua    *sipgo.DialogUA
}

func newLabDevice(t *testing.T, ca *pki.CA, user string) *labDevice {
	t.Helper()
	conf := &tls.Config{RootCAs: ca.Pool(), ServerName: "sbc.example.test", MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(user), sipgo.WithUserAgentHostname(labRealm), sipgo.WithUserAgenTLSConfig(conf))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	client, _ := sipgo.NewClient(ua)
	server, _ := sipgo.NewServer(ua)
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: 5099, UriParams: sip.HeaderParams{{K: "transport", V: "tls"}}}}
	return &labDevice{user: user, ua: ua, client: client, server: server, dua: &sipgo.DialogUA{Client: client, ContactHDR: contact}}
}

func (d *labDevice) register(t *testing.T, k *Kamailio, password string) {
	t.Helper()
	host, port, _ := net.SplitHostPort(k.Addr())
	p, _ := strconv.Atoi(port)
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: p, UriParams: sip.HeaderParams{{K: "transport", V: "tls"}}})
	aor := sip.Uri{Scheme: "sip", User: d.user, Host: labRealm}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	req.AppendHeader(sip.HeaderClone(&d.dua.ContactHDR))
	req.AppendHeader(sip.NewHeader("Expires", "300"))
	req.SetTransport("TLS")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := d.client.Do(ctx, req)
	if err == nil && res.StatusCode == 401 {
		res, err = d.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: d.user, Password: password})
	}
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("%s registering with %s: %v %v", d.user, k.Addr(), res, err)
	}
}

func TestKamailioCall(t *testing.T) {
	RequireKamailio(t)
	dir := t.TempDir()
	lf := labPKI(t, dir, "127.0.0.11")
	k := startKamailio(t, "127.0.0.11", lf, dir)

	alice := newLabDevice(t, lf.ca, labUser)
	bob := newLabDevice(t, lf.ca, "1002")
	var mu sync.Mutex
	var dialog *sipgo.DialogServerSession
	acked, byed := make(chan struct{}, 1), make(chan struct{}, 1)
	bob.server.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		dlg, err := bob.dua.ReadInvite(req, tx)
		if err != nil {
			t.Errorf("bob reading INVITE: %v", err)
			return
		}
		mu.Lock()
		dialog = dlg
		mu.Unlock()
		if err := dlg.Respond(sip.StatusOK, "OK", nil); err != nil {
			t.Errorf("bob answering: %v", err)
		}
		<-dlg.Context().Done()
	})
	bob.server.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		mu.Lock()
		dlg := dialog
		mu.Unlock()
		if dlg != nil && dlg.ReadAck(req, tx) == nil {
			acked <- struct{}{}
		}
	})
	bob.server.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		mu.Lock()
		dlg := dialog
		mu.Unlock()
		if dlg != nil && dlg.ReadBye(req, tx) == nil {
			byed <- struct{}{}
		}
	})
	alice.register(t, k, labPass)
	bob.register(t, k, "0ther!Pass")

	host, port, _ := net.SplitHostPort(k.Addr())
	p, _ := strconv.Atoi(port)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	sess, err := alice.dua.Invite(ctx, sip.Uri{Scheme: "sip", User: "1002", Host: host, Port: p, UriParams: sip.HeaderParams{{K: "transport", V: "tls"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		t.Fatalf("call through kamailio: %v", err)
	}
	if err := sess.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-acked:
	case <-ctx.Done():
		t.Fatal("bob never got the ACK")
	}
	if err := sess.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-byed:
	case <-ctx.Done():
		t.Fatal("bob never got the BYE")
	}
}
