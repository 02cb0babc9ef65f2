package device_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/simulator/device"
	"github.com/cutover-dev/cutover/simulator/device/devicetest"
)

// TestKamailioConcurrentRegister registers 100 devices at once against the
// real Kamailio pair, each on its own TLS 1.2 connection: the load that made
// Kamailio 5.6 with OpenSSL 3 corrupt its shared memory when several TCP
// workers ran TLS. Every device must register on the primary, refresh over
// its connection, and, with the primary stopped, register on the secondary.
func TestKamailioConcurrentRegister(t *testing.T) {
	const n = 100
	users := map[string]string{}
	for i := 0; i < n; i++ {
		u := benchConfig(i).User
		users[u] = devicetest.DerivedPassword(u)
	}
	kl := devicetest.StartKamailio(t, users, devicetest.KamailioLabOptions{PrimaryIP: kamailioPrimaryIP, SecondaryIP: kamailioSecondaryIP})
	opts := []device.Option{device.WithRoots(kl.Roots), device.WithResolver(kl.Resolver()), device.WithTimeout(20 * time.Second)}
	devs := make([]*device.Device, n)
	for i := range devs {
		d, err := device.New(benchConfig(i), opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		devs[i] = d
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	each := func(step string, f func(d *device.Device) error) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i, d := range devs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = f(d)
			}()
		}
		wg.Wait()
		failed := 0
		for i, err := range errs {
			if err != nil {
				if failed < 5 {
					t.Errorf("%s: %s: %v", step, devs[i].Config().User, err)
				}
				failed++
			}
		}
		if failed > 0 {
			t.Fatalf("%s: %d of %d devices failed", step, failed, n)
		}
	}
	on := func(want string) func(*device.Registration, error) error {
		return func(reg *device.Registration, err error) error {
			if err != nil {
				return err
			}
			if reg.Target.Host != want {
				return fmt.Errorf("registered on %s, want %s", reg.Target.Host, want)
			}
			return nil
		}
	}
	each("register", func(d *device.Device) error {
		reg, err := d.Register(ctx)
		if err == nil && !reg.Challenged {
			return fmt.Errorf("registered on %s without a digest challenge", reg.Target.Host)
		}
		return on(devicetest.Primary)(reg, err)
	})
	each("refresh", func(d *device.Device) error { return on(devicetest.Primary)(d.Refresh(ctx)) })
	if err := kl.StopPrimary(ctx); err != nil {
		t.Fatal(err)
	}
	each("failover", func(d *device.Device) error { return on(devicetest.Second)(d.Register(ctx)) })
}
