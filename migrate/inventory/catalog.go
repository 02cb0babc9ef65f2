package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/cutover-dev/cutover/fixtures"
)

// Catalog is the set of device models cutover knows how to migrate: each
// inventory make/model maps to a template family (vendor) and a line limit.
// The Webex model is not here: the plan matches make and model against the
// org's live supported-devices list (migrate), because Webex's model names
// differ between orgs and are not public for partner-managed devices; an
// optional webexModel pins one. It is read-only once loaded and safe for concurrent use.
type Catalog struct {
	models []Model
	byKey  map[string]int
}

// LoadCatalog reads a catalog: a JSON array of Model objects. Every entry
// needs a make, a model, a type (phone or gateway), a vendor and a positive
// maxLines (webexModel is optional); a make/model may appear once.
func LoadCatalog(r io.Reader) (*Catalog, error) {
	var models []Model
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&models); err != nil {
		return nil, fmt.Errorf("reading model catalog: %w", err)
	}
	c := &Catalog{byKey: make(map[string]int, len(models))}
	for i, m := range models {
		switch {
		case m.Make == "" || m.Model == "":
			return nil, fmt.Errorf("reading model catalog: entry %d: make and model are required", i+1)
		case m.Type != Phone && m.Type != Gateway:
			return nil, fmt.Errorf("reading model catalog: %s %s: type %q (expected phone or gateway)", m.Make, m.Model, m.Type)
		case m.Vendor == "":
			return nil, fmt.Errorf("reading model catalog: %s %s: vendor is required", m.Make, m.Model)
		case m.MaxLines < 1:
			return nil, fmt.Errorf("reading model catalog: %s %s: maxLines %d (expected at least 1)", m.Make, m.Model, m.MaxLines)
		}
		k := catalogKey(m.Make, m.Model)
		if _, dup := c.byKey[k]; dup {
			return nil, fmt.Errorf("reading model catalog: %s %s listed twice", m.Make, m.Model)
		}
		c.byKey[k] = len(c.models)
		c.models = append(c.models, m)
	}
	return c, nil
}

var defaultCatalog = sync.OnceValue(func() *Catalog {
	c, err := LoadCatalog(bytes.NewReader(fixtures.ModelsJSON))
	if err != nil {
		panic("embedded fixtures/models.json: " + err.Error()) // caught by the package tests
	}
	return c
})

// DefaultCatalog returns the catalog embedded from fixtures/models.json.
func DefaultCatalog() *Catalog { return defaultCatalog() }

// Lookup finds a model by make and model, ignoring case, spaces, '-' and
// '_' ("yealink", "t54w" and "Yealink", "T54W" are the same; so are
// "MP114" and "MP-114").
func (c *Catalog) Lookup(make, model string) (Model, bool) {
	i, ok := c.byKey[catalogKey(make, model)]
	if !ok {
		return Model{}, false
	}
	return c.models[i], true
}

// Models returns a copy of every model, in catalog order.
func (c *Catalog) Models() []Model { return append([]Model(nil), c.models...) }

func catalogKey(make, model string) string {
	return normalizeKey(make) + "\x00" + normalizeKey(model)
}

// normalizeKey lower-cases s and drops spaces, '_' and '-': the form used to
// match headers and catalog names.
func normalizeKey(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '_' || r == '-' || isSpace(r):
			return -1
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return r
	}, strings.ToLower(s))
}
