package sbc_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/cutover-dev/cutover/simulator/pki"
	"github.com/cutover-dev/cutover/simulator/sbc"
)

// An SBC on an ephemeral loopback port with a lab CA, and one digest
// registration against it from a plain sipgo client.
func ExampleNew() {
	ca, err := pki.NewCA("example lab CA")
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := sbc.New(
		sbc.WithCA(ca), sbc.WithHosts("sbc1.example.test"),
		sbc.WithUsers(sbc.StaticUsers{"1001": "S3cret!pass"}),
		sbc.WithRealm("example.test"),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Start(ctx, "127.0.0.1:0"); err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	ua, _ := sipgo.NewUA(sipgo.WithUserAgenTLSConfig(&tls.Config{
		RootCAs: ca.Pool(), ServerName: "sbc1.example.test", MinVersion: tls.VersionTLS12,
	}))
	defer ua.Close()
	client, _ := sipgo.NewClient(ua)
	host, port, _ := net.SplitHostPort(s.Addr())
	p, _ := strconv.Atoi(port)
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: p})
	aor := sip.Uri{Scheme: "sip", User: "1001", Host: "example.test"}
	req.AppendHeader(&sip.ToHeader{Address: aor})
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1", Port: 5099}})
	req.SetTransport("TLS")

	res, err := client.Do(ctx, req)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.StatusCode)
	res, err = client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: "1001", Password: "S3cret!pass"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.StatusCode, len(s.Bindings()))
	// Output:
	// 401
	// 200 1
}
