package sbc

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/cutover-dev/cutover/internal/await"
)

const testSDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n"

func (d *testDevice) dialogUA() *sipgo.DialogUA {
	return &sipgo.DialogUA{
		Client: d.client,
		ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: d.user, Host: "127.0.0.1", Port: 5099,
			UriParams: sip.HeaderParams{{K: "transport", V: "tls"}}}},
	}
}

// answerCalls makes d answer every INVITE with 180 then 200 and record the
// ACK and BYE it receives.
type callee struct {
	mu     sync.Mutex
	dialog *sipgo.DialogServerSession
	acked  chan struct{}
	byed   chan struct{}
}

func answerCalls(t *testing.T, d *testDevice) *callee {
	c := &callee{acked: make(chan struct{}, 1), byed: make(chan struct{}, 1)}
	dua := d.dialogUA()
	d.server.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		dlg, err := dua.ReadInvite(req, tx)
		if err != nil {
			t.Errorf("callee reading INVITE: %v", err)
			return
		}
		c.mu.Lock()
		c.dialog = dlg
		c.mu.Unlock()
		if err := dlg.Respond(sip.StatusRinging, "Ringing", nil); err != nil {
			t.Errorf("callee ringing: %v", err)
		}
		ct := sip.ContentTypeHeader("application/sdp")
		if err := dlg.Respond(sip.StatusOK, "OK", []byte(testSDP), &ct); err != nil {
			t.Errorf("callee answering: %v", err)
		}
		<-dlg.Context().Done()
	})
	d.server.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		c.mu.Lock()
		dlg := c.dialog
		c.mu.Unlock()
		if dlg != nil && dlg.ReadAck(req, tx) == nil {
			c.acked <- struct{}{}
		}
	})
	d.server.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		c.mu.Lock()
		dlg := c.dialog
		c.mu.Unlock()
		if dlg == nil {
			tx.Respond(sip.NewResponseFromRequest(req, 481, "No dialog", nil))
			return
		}
		if err := dlg.ReadBye(req, tx); err != nil {
			t.Errorf("callee reading BYE: %v", err)
		}
		c.byed <- struct{}{}
	})
	return c
}

// callTarget is the URI a device dials to call user through the SBC s.
func callTarget(s *SBC, user string) sip.Uri {
	host, port, _ := net.SplitHostPort(s.Addr())
	p, _ := strconv.Atoi(port)
	return sip.Uri{Scheme: "sip", User: user, Host: host, Port: p, UriParams: sip.HeaderParams{{K: "transport", V: "tls"}}}
}

// awaitCallee waits for the callee's signal (its ACK or BYE seen) and fails
// the test with msg if ctx ends first.
func awaitCallee(t *testing.T, ctx context.Context, signal <-chan struct{}, msg string) {
	t.Helper()
	select {
	case <-signal:
	case <-ctx.Done():
		t.Fatal(msg)
	}
}

func TestCallBetweenRegisteredDevices(t *testing.T) {
	s := startSBC(t)
	conf := clientTLS(t, tls.VersionTLS12, tls.VersionTLS12)
	alice := newDevice(t, s.Addr(), testUser, conf)
	bob := newDevice(t, s.Addr(), "1002", conf)
	cal := answerCalls(t, bob)
	if res, err := alice.register(testPassword, "600"); err != nil || res.StatusCode != 200 {
		t.Fatalf("alice register: %v %v", res, err)
	}
	if res, err := bob.register("0ther!Pass", "600"); err != nil || res.StatusCode != 200 {
		t.Fatalf("bob register: %v %v", res, err)
	}

	target := callTarget(s, "1002")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	ct := sip.ContentTypeHeader("application/sdp")
	sess, err := alice.dialogUA().Invite(ctx, target, []byte(testSDP), &ct)
	if err != nil {
		t.Fatalf("INVITE: %v", err)
	}
	defer sess.Close()
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		t.Fatalf("waiting for answer: %v", err)
	}
	if sess.InviteResponse.StatusCode != 200 || string(sess.InviteResponse.Body()) != testSDP {
		t.Fatalf("answer %d body %q", sess.InviteResponse.StatusCode, sess.InviteResponse.Body())
	}
	if sess.InviteResponse.GetHeader("Record-Route") == nil {
		t.Fatal("answer lacks the SBC's Record-Route")
	}
	if err := sess.Ack(ctx); err != nil {
		t.Fatalf("ACK: %v", err)
	}
	awaitCallee(t, ctx, cal.acked, "callee never got the ACK")
	if s.Calls() != 1 {
		t.Fatalf("SBC routes %d calls, want 1", s.Calls())
	}
	if err := sess.Bye(ctx); err != nil {
		t.Fatalf("BYE: %v", err)
	}
	awaitCallee(t, ctx, cal.byed, "callee never got the BYE")
	// Counters move just after the answer is relayed.
	await.True(t, "the BYE counted", func() bool { return s.Stats().Byes == 1 && s.Calls() == 0 })
	st := s.Stats()
	if st.Invites != 1 || st.CallsAnswered != 1 {
		t.Fatalf("stats %+v, calls %d", st, s.Calls())
	}
}

func TestCallToUnregisteredUser(t *testing.T) {
	s := startSBC(t)
	alice := newDevice(t, s.Addr(), testUser, clientTLS(t, tls.VersionTLS12, tls.VersionTLS12))
	if res, err := alice.register(testPassword, "600"); err != nil || res.StatusCode != 200 {
		t.Fatalf("register: %v %v", res, err)
	}
	target := callTarget(s, "1002")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sess, err := alice.dialogUA().Invite(ctx, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	err = sess.WaitAnswer(ctx, sipgo.AnswerOptions{})
	var ers *sipgo.ErrDialogResponse
	if !errors.As(err, &ers) || ers.Res.StatusCode != 404 {
		t.Fatalf("call to unregistered user: %v, want a 404", err)
	}
}

func TestCallAuth(t *testing.T) {
	s := startSBC(t, WithCallAuth())
	conf := clientTLS(t, tls.VersionTLS12, tls.VersionTLS12)
	alice := newDevice(t, s.Addr(), testUser, conf)
	bob := newDevice(t, s.Addr(), "1002", conf)
	cal := answerCalls(t, bob)
	if res, err := bob.register("0ther!Pass", "600"); err != nil || res.StatusCode != 200 {
		t.Fatalf("bob register: %v %v", res, err)
	}
	target := callTarget(s, "1002")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	sess, err := alice.dialogUA().Invite(ctx, target, []byte(testSDP))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{Username: testUser, Password: testPassword}); err != nil {
		t.Fatalf("authenticated INVITE: %v", err)
	}
	if sess.InviteResponse.StatusCode != 200 {
		t.Fatalf("answer %d", sess.InviteResponse.StatusCode)
	}
	if err := sess.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	// sipgo handles each message on its own goroutine: let the ACK land
	// before the BYE, or the callee may see them the other way round.
	awaitCallee(t, ctx, cal.acked, "callee never got the ACK")
	if err := sess.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	// Counters move just after the answer is relayed.
	await.True(t, "one answered call counted", func() bool { return s.Stats().CallsAnswered == 1 })
	if st := s.Stats(); st.Challenges < 2 {
		t.Fatalf("stats %+v, want a 407 challenge (plus bob's 401)", st)
	}
}
