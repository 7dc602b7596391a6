package vishnufiber

import (
	"context"
	"sync/atomic"
	"time"
)

// storeContext is the context of a session's store calls: the request's
// user context (c.UserContext() when the session is first used) while the
// handler chain runs, so that a deadline set by the handler or a middleware
// bounds the store calls the handler waits for; and the same without its
// deadline and cancellation from the commit point on. A timeout middleware
// (fiber's timeout.NewWithContext) cancels its context when its handler
// returns, before the commit point, and a stream writer runs after every
// middleware has returned: neither may turn the commit into an error. It is
// part of the request's state, so it costs no allocation of its own.
type storeContext struct {
	ctx   context.Context // set once, before the session is used
	after atomic.Bool     // the commit point has come
}

var _ context.Context = (*storeContext)(nil)

func (c *storeContext) Deadline() (time.Time, bool) {
	if c.after.Load() {
		return time.Time{}, false
	}
	return c.ctx.Deadline()
}

func (c *storeContext) Done() <-chan struct{} {
	if c.after.Load() {
		return nil
	}
	return c.ctx.Done()
}

func (c *storeContext) Err() error {
	if c.after.Load() {
		return nil
	}
	return c.ctx.Err()
}

func (c *storeContext) Value(key any) any { return c.ctx.Value(key) }
