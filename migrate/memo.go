package migrate

import (
	"context"
	"sync"
)

// memo caches the result of one lookup per key and lets concurrent callers of
// the same key share the call in flight. Errors are cached too: a plan asks
// once per owner, and a failed lookup fails every device of that owner alike.
type memo[V any] struct {
	mu sync.Mutex
	m  map[string]*memoEntry[V]
}

type memoEntry[V any] struct {
	done chan struct{}
	v    V
	err  error
}

func (c *memo[V]) get(ctx context.Context, key string, f func(context.Context) (V, error)) (V, error) {
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[string]*memoEntry[V])
	}
	e, ok := c.m[key]
	if !ok {
		e = &memoEntry[V]{done: make(chan struct{})}
		c.m[key] = e
		c.mu.Unlock()
		e.v, e.err = f(ctx)
		close(e.done)
		return e.v, e.err
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.v, e.err
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}
