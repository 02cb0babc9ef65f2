package certify_test

import (
	"context"
	"fmt"
	"os"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/simulator/device"
)

// Certify a lab inventory against an SRV domain, streaming the results to
// certify.jsonl.
func ExampleRun() {
	targets, err := certify.FromInventory("lab.csv")
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := os.OpenFile("certify.jsonl", os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer out.Close()
	results, err := certify.Run(context.Background(), targets, certify.Options{
		SBC:      "sbc.lab.example",
		Resolver: device.NewResolver("127.0.0.1:5353"),
		Cases:    []string{certify.CaseTLSVersion, certify.CaseRegister, certify.CaseFailover},
		Jobs:     16,
		Out:      out,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range certify.Summarize(results) {
		fmt.Printf("%s: %d passed, %d failed\n", s.Case, s.Passed, s.Failed)
	}
}
