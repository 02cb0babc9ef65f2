package sip

// Tests of cutover's patch to sipgo v1.7.2 (../PATCH.md): a transaction that
// has ended stops every timer it started, and starts none after it ended.
// Before the patch an ended INVITE transaction left Timer M (client) or
// Timer L (server) running, and for 64×T1 the timer kept the transaction,
// its connection and its transaction layer reachable.

import (
	"io"
	"log/slog"
	"net"
	"testing"
	"time"
)

// nopConn is a connection that accepts every message and never closes.
type nopConn struct{}

func (nopConn) LocalAddr() net.Addr    { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5061} }
func (nopConn) WriteMsg(Message) error { return nil }
func (nopConn) Ref(int) int            { return 1 }
func (nopConn) TryClose() (int, error) { return 1, nil }
func (nopConn) Close() error           { return nil }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func patchInvite(t *testing.T) *Request {
	t.Helper()
	inv := NewRequest(INVITE, Uri{Scheme: "sip", User: "1002", Host: "sbc.lab.test"})
	inv.SetTransport("TLS")
	via := &ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "TLS", Host: "127.0.0.1", Port: 5061, Params: NewParams()}
	via.Params.Add("branch", GenerateBranch())
	inv.AppendHeader(via)
	from := &FromHeader{Address: Uri{Scheme: "sip", User: "1001", Host: "sbc.lab.test"}, Params: NewParams()}
	from.Params.Add("tag", "a1")
	inv.AppendHeader(from)
	inv.AppendHeader(&ToHeader{Address: Uri{Scheme: "sip", User: "1002", Host: "sbc.lab.test"}, Params: NewParams()})
	callID := CallIDHeader("patch-test@cutover")
	inv.AppendHeader(&callID)
	inv.AppendHeader(&CSeqHeader{SeqNo: 1, MethodName: INVITE})
	return inv
}

func newPatchClientTx(t *testing.T) *ClientTx {
	t.Helper()
	inv := patchInvite(t)
	key, err := ClientTxKeyMake(inv)
	if err != nil {
		t.Fatal(err)
	}
	tx := NewClientTx(key, inv, nopConn{}, quiet)
	if err := tx.Init(); err != nil {
		t.Fatal(err)
	}
	return tx
}

func newPatchServerTx(t *testing.T) *ServerTx {
	t.Helper()
	inv := patchInvite(t)
	key, err := ServerTxKeyMake(inv)
	if err != nil {
		t.Fatal(err)
	}
	tx := NewServerTx(key, inv, nopConn{}, quiet)
	if err := tx.Init(); err != nil {
		t.Fatal(err)
	}
	return tx
}

func clientTimerM(tx *ClientTx) *time.Timer {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	return tx.timer_m
}

func serverTimerL(tx *ServerTx) *time.Timer {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	return tx.timer_l
}

func TestPatchEndedClientTxStopsTimerM(t *testing.T) {
	tx := newPatchClientTx(t)
	go tx.Receive(NewResponseFromRequest(tx.Origin(), 200, "OK", nil))
	if res := <-tx.Responses(); res.StatusCode != 200 {
		t.Fatalf("passed up %d", res.StatusCode)
	}
	// The 2xx has moved the transaction to Accepted: Timer M runs.
	deadline := time.Now().Add(10 * time.Second)
	for clientTimerM(tx) == nil {
		if time.Now().After(deadline) {
			t.Fatal("Timer M never started after the 2xx")
		}
		time.Sleep(time.Millisecond)
	}
	tx.Terminate() // what Client.Do does on return
	if clientTimerM(tx) != nil {
		t.Fatal("the transaction ended with Timer M still set")
	}
}

func TestPatchEndedClientTxStartsNoTimerM(t *testing.T) {
	tx := newPatchClientTx(t)
	tx.Terminate()
	// A 2xx that the fsm handles after the end (the TU ended the
	// transaction while the 2xx was being passed up).
	tx.Receive(NewResponseFromRequest(tx.Origin(), 200, "OK", nil))
	if clientTimerM(tx) != nil {
		t.Fatal("Timer M started on a transaction that had ended")
	}
}

func TestPatchEndedServerTxStopsTimerL(t *testing.T) {
	tx := newPatchServerTx(t)
	if err := tx.Respond(NewResponseFromRequest(tx.Origin(), 200, "OK", nil)); err != nil {
		t.Fatal(err)
	}
	if serverTimerL(tx) == nil {
		t.Fatal("Timer L did not start after the 2xx")
	}
	tx.Terminate()
	if serverTimerL(tx) != nil {
		t.Fatal("the transaction ended with Timer L still set")
	}
}

func TestPatchEndedServerTxStartsNoTimerL(t *testing.T) {
	tx := newPatchServerTx(t)
	tx.Terminate()
	_ = tx.Respond(NewResponseFromRequest(tx.Origin(), 200, "OK", nil))
	if serverTimerL(tx) != nil {
		t.Fatal("Timer L started on a transaction that had ended")
	}
}
