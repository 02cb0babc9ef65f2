package device_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cutover-dev/cutover/simulator/device"
)

// A device registers the way its published config says: SRV lookup of
// _sips._tcp.<domain> through a chosen DNS server, TLS 1.2 verified against
// the IdenTrust roots plus a lab CA, digest REGISTER, failover on the way.
func ExampleNew() {
	labCA, err := device.ReadCertificates("lab-ca.pem")
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := device.New(device.Config{
		MAC: "001565A1B2C3", Make: "Yealink", Model: "T57W",
		User: "2001", Domain: "example.test", Password: "Gr8!secret", SRVDomain: "example.test",
	}, device.WithRoots(device.TrustStore(labCA...)), device.WithResolver(device.NewResolver("127.0.0.1:5353")))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reg, err := d.Register(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("registered on", reg.Target, "over", device.VersionName(reg.TLS.Version))
}
