package dns_test

import (
	"context"
	"fmt"

	"github.com/cutover-dev/cutover/simulator/dns"
)

// A lab zone for two SBCs; a pure-Go resolver pointed at it orders the SRV
// answer by priority.
func ExampleStart() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := dns.Start(ctx, "127.0.0.1:0",
		dns.WithSRV("_sips._tcp.example.test", 20, 40, 5061, "sbc2.example.test"),
		dns.WithSRV("_sips._tcp.example.test", 10, 60, 5061, "sbc1.example.test"),
		dns.WithA("sbc1.example.test", "127.0.0.11"),
		dns.WithA("sbc2.example.test", "127.0.0.12"),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	_, records, err := srv.Resolver().LookupSRV(ctx, "sips", "tcp", "example.test")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range records {
		fmt.Println(r.Priority, r.Target, r.Port)
	}
	// Output:
	// 10 sbc1.example.test. 5061
	// 20 sbc2.example.test. 5061
}
