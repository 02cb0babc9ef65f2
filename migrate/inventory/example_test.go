package inventory_test

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/cutover-dev/cutover/fixtures"
	"github.com/cutover-dev/cutover/migrate/inventory"
)

func ExampleRead() {
	// Read takes a path; ReadFrom reads the embedded sample the same way.
	inv, err := inventory.ReadFrom(bytes.NewReader(fixtures.InventoryXLSX), "inventory.xlsx", inventory.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	d := inv.Devices[0]
	fmt.Println(len(inv.Devices), "devices,", len(inv.Problems), "problems")
	fmt.Println(d.MAC, d.Make, d.Model, d.Owner, len(d.Lines), "lines")
	// Output:
	// 60 devices, 0 problems
	// 805EC0A4A46A Yealink T57W claire.martin@acme-dental.example 4 lines
}

func ExampleReadFrom_problems() {
	csv := "mac;make;model;owner\n01:00:5E:00:00:01;Yealink;T54W;claire.martin@acme-dental.example\n"
	inv, err := inventory.ReadFrom(strings.NewReader(csv), "wave1.csv", inventory.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range inv.Problems {
		fmt.Println(p)
	}
	// Output:
	// wave1.csv::2:A: mac "01:00:5E:00:00:01" is a multicast address (first octet 01 is odd) (expected the 12 hex digits of a unicast MAC, e.g. 00:04:F2:A1:B2:C3, 00-04-f2-a1-b2-c3, 0004.f2a1.b2c3 or 0004F2A1B2C3)
}

func ExampleNormalizeMAC() {
	for _, s := range []string{"00:04:f2:a1:b2:c3", "0004.F2A1.B2C3", "00-04-F2-A1-B2"} {
		mac, err := inventory.NormalizeMAC(s)
		fmt.Println(mac, err)
	}
	// Output:
	// 0004F2A1B2C3 <nil>
	// 0004F2A1B2C3 <nil>
	//  has 5 groups separated by "-", not 6
}
