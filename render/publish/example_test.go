package publish_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/cutover-dev/cutover/render"
	"github.com/cutover-dev/cutover/render/publish"
)

// Publish to a directory twice: the second time nothing is written.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "prov")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	target, err := publish.Open("dir://" + dir)
	if err != nil {
		log.Fatal(err)
	}
	files := []render.File{{Name: "001565a1b2c3.cfg", Data: []byte("#!version:1.0.0.1\n")}}
	for range 2 {
		res, err := target.Publish(context.Background(), files)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("written %d, skipped %d\n", res.Written, res.Skipped)
	}
	// Output:
	// written 1, skipped 0
	// written 0, skipped 1
}
