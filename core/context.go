package vishnu

import "context"

type anySessionKey struct{}

// sessionContext carries a session in a context. It is a context type of
// its own, not context.WithValue, so that the middleware can allocate it
// together with the session in one block.
type sessionContext struct {
	context.Context
	s *Session
}

func (c *sessionContext) Value(key any) any {
	switch key {
	case anySessionKey{}, c.s.m:
		return c.s
	}
	return c.Context.Value(key)
}

// NewContext returns a copy of ctx that carries s. The net/http middleware
// does this itself; adapters for other frameworks use it.
func NewContext(ctx context.Context, s *Session) context.Context {
	return &sessionContext{Context: ctx, s: s}
}

// FromContext returns the session of the request whose context is ctx (the
// innermost one when several managers are nested), or nil when no Vishnu
// middleware handled the request.
func FromContext(ctx context.Context) *Session {
	s, _ := ctx.Value(anySessionKey{}).(*Session)
	return s
}

// FromContext returns m's session of the request whose context is ctx, or
// nil when m's middleware did not handle the request. Use it when several
// managers (with different cookie names) are used side by side.
func (m *Manager) FromContext(ctx context.Context) *Session {
	s, _ := ctx.Value(m).(*Session)
	return s
}
