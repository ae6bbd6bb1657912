// Package flight runs one function per key at a time and shares its result
// with every concurrent caller of the same key (single flight), carrying a
// panic to every waiter.
package flight

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
)

// PanicError is what a panic inside a flight becomes: the leader and every
// waiter panic with the same *PanicError, which carries the original value
// and the stack of the goroutine that panicked.
type PanicError struct {
	Value any
	Stack []byte
}

// Error describes the panic with its stack.
func (p *PanicError) Error() string {
	return fmt.Sprintf("ring: panic in cached function: %v\n\n%s", p.Value, p.Stack)
}

// Unwrap returns the panic value when it is an error.
func (p *PanicError) Unwrap() error {
	if err, ok := p.Value.(error); ok {
		return err
	}
	return nil
}

// errGoexit is reported to waiters when the leader's function called
// runtime.Goexit (t.FailNow in a test, for example).
var errGoexit = errors.New("ring: cached function called runtime.Goexit")

type call struct {
	done chan struct{}
	val  any
	err  error
	pan  *PanicError
}

// Group de-duplicates concurrent calls by key. The zero value is ready to
// use; a Group must not be copied after first use.
type Group struct {
	mu    sync.Mutex
	calls map[string]*call
}

// Do runs fn once for all concurrent callers of key and returns its result to
// each. shared reports whether this caller waited for another's run. A waiter
// whose ctx ends stops waiting and returns ctx.Err(); the run goes on for the
// others. If fn panics, the leader and every waiter panic with the same
// *PanicError.
func (g *Group) Do(ctx context.Context, key string, fn func() (any, error)) (v any, err error, shared bool) {
	g.mu.Lock()
	if g.calls == nil {
		g.calls = make(map[string]*call)
	}
	if c, ok := g.calls[key]; ok {
		g.mu.Unlock()
		select {
		case <-c.done:
		case <-ctx.Done():
			return nil, ctx.Err(), true
		}
		if c.pan != nil {
			panic(c.pan)
		}
		return c.val, c.err, true
	}
	c := &call{done: make(chan struct{})}
	g.calls[key] = c
	g.mu.Unlock()

	g.run(key, c, fn)
	if c.pan != nil {
		panic(c.pan)
	}
	return c.val, c.err, false
}

func (g *Group) run(key string, c *call, fn func() (any, error)) {
	normal := false
	defer func() {
		if !normal {
			if r := recover(); r != nil {
				if pe, ok := r.(*PanicError); ok {
					c.pan = pe
				} else {
					c.pan = &PanicError{Value: r, Stack: debug.Stack()}
				}
			} else if c.pan == nil {
				c.err = errGoexit
			}
		}
		g.mu.Lock()
		delete(g.calls, key)
		g.mu.Unlock()
		close(c.done)
	}()
	c.val, c.err = fn()
	normal = true
}
