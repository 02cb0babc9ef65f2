package certify

import (
	"fmt"

	"github.com/cutover-dev/cutover/internal/jsonl"
)

// ReadResults reads DIR/certify.jsonl. A torn last line is ignored; a missing
// file holds no results.
func ReadResults(path string) ([]Result, error) {
	r, err := jsonl.ReadFile[Result](path)
	if err != nil {
		return nil, fmt.Errorf("reading certification results: %w", err)
	}
	return r, nil
}
