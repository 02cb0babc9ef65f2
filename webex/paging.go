package webex

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// maxPages stops a server that keeps sending next links.
const maxPages = 10000

// list fetches every page of a list call; see pages.
func list[T any](ctx context.Context, c *Client, path string, q url.Values) ([]T, error) {
	var all []T
	err := pages(ctx, c, path, q, func(items []T) bool {
		all = append(all, items...)
		return true
	})
	if err != nil {
		return nil, err
	}
	return all, nil
}

// pages fetches the pages of a list call in order and hands each to fn,
// until fn returns false or the last page, following the Link header's
// rel="next" URL exactly as given. A next URL on another host is refused (it
// would receive the token), and a link back to a page already read ends in an
// error rather than a loop.
func pages[T any](ctx context.Context, c *Client, path string, q url.Values, fn func([]T) bool) error {
	seen := map[string]bool{}
	r := request{method: http.MethodGet, path: path, query: q}
	cur, _ := c.url(r)
	for page := 1; ; page++ {
		var lr ListResponse[T]
		r.out = &lr
		h, err := c.do(ctx, r)
		if err != nil {
			return err
		}
		if !fn(lr.Items) {
			return nil
		}
		next := nextLink(h.Values("Link"))
		if next == "" {
			return nil
		}
		abs, err := c.resolveNext(cur, next)
		if err != nil {
			return fmt.Errorf("GET %s: page %d: %w", path, page, err)
		}
		if seen[abs] || page >= maxPages {
			return fmt.Errorf("GET %s: page %d: next link repeats a page or never ends", path, page)
		}
		seen[abs] = true
		cur, r.next = abs, abs
	}
}

// resolveNext makes a next link absolute (against the page it came from) and
// checks it stays on the API's scheme and host.
func (c *Client) resolveNext(cur, next string) (string, error) {
	base, err := url.Parse(cur)
	if err != nil {
		return "", err
	}
	ref, err := url.Parse(next)
	if err != nil {
		return "", fmt.Errorf("parsing next link: %w", err)
	}
	u := base.ResolveReference(ref)
	if u.Scheme != c.base.Scheme || u.Host != c.base.Host {
		return "", fmt.Errorf("next link points to %s://%s, not the API host", u.Scheme, u.Host)
	}
	if ref.IsAbs() {
		return next, nil // as given
	}
	return u.String(), nil
}

// nextLink returns the target of rel="next" in Link header values (RFC 8288),
// or "". A rel may list several relation types ("next last").
func nextLink(values []string) string {
	for _, v := range values {
		for len(v) > 0 {
			v = strings.TrimLeft(v, " \t,")
			if !strings.HasPrefix(v, "<") {
				break
			}
			end := strings.IndexByte(v, '>')
			if end < 0 {
				break
			}
			target := v[1:end]
			v = v[end+1:]
			params, rest := splitLinkParams(v)
			v = rest
			for _, p := range params {
				name, val, ok := strings.Cut(p, "=")
				if !ok || !strings.EqualFold(strings.TrimSpace(name), "rel") {
					continue
				}
				val = strings.Trim(strings.TrimSpace(val), `"`)
				for _, rel := range strings.Fields(val) {
					if strings.EqualFold(rel, "next") {
						return target
					}
				}
			}
		}
	}
	return ""
}

// splitLinkParams reads ";param=value" pairs up to the comma that ends a
// link-value, honouring quoted strings, and returns the rest.
func splitLinkParams(v string) (params []string, rest string) {
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(v); i++ {
		ch := v[i]
		switch {
		case ch == '"':
			quoted = !quoted
			cur.WriteByte(ch)
		case ch == '\\' && quoted && i+1 < len(v):
			cur.WriteByte(v[i+1])
			i++
		case ch == ';' && !quoted:
			if s := strings.TrimSpace(cur.String()); s != "" {
				params = append(params, s)
			}
			cur.Reset()
		case ch == ',' && !quoted:
			if s := strings.TrimSpace(cur.String()); s != "" {
				params = append(params, s)
			}
			return params, v[i+1:]
		default:
			cur.WriteByte(ch)
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		params = append(params, s)
	}
	return params, ""
}
