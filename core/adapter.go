package vishnu

import (
	"context"
	"errors"
	"net/http"
)

// Adapter is the part of a Manager that only framework adapters use: an
// application never needs it (it installs an adapter's middleware, or
// Manager.Handler, and reaches its session with FromContext). Get it with
// Manager.Adapter when the adapter's middleware is made.
//
// # The adapter contract
//
// An adapter drives each request through four calls:
//
//	s := a.Open(ctx, transport)   // when the request arrives; nothing is read yet
//	...                           // the handler runs with s in its context (NewContext)
//	err := a.Commit(s)            // just before the response headers go out
//	if err != nil {               // answer a.ErrorResponse(s, err) instead,
//		...                       // without the headers the handler set
//	}
//	a.Finish(s)                   // when the handler has returned
//
// Commit must run before the response headers go out, on the goroutine that
// sends them, and only the first call commits (later calls return its
// result). From then on a change that would need a new cookie fails with
// ErrHeadersWritten, whatever the Transport: the commit window is core's.
//
// A Commit that comes too late, after the headers went out, cannot set the
// cookie. When the Transport can tell (it implements HeadersSentReporter)
// or the adapter knows (Gate.CommitLate), the commit runs with the window
// already closed: what needs no cookie is still persisted, and a change
// that needs one is not written and is reported as ErrHeadersWritten,
// which the adapter records where its framework records errors (the error
// response can no longer be sent). A Transport that cannot tell, on an
// adapter that commits late, loses the cookie: the adapter conformance
// suite (package conformance) catches that.
//
// An adapter of a framework built on net/http opens the session with
// OpenHTTP and runs its commit point through a Gate, which holds the
// commit-once state of the response and builds the error response in place
// of the handler's. NewWriter gives it the response writer that passes
// every write through the Gate; the adapter embeds it in its own writer,
// and says there what a refused write returns and when the error response
// goes out. An adapter of any other framework implements Transport and
// merges the error response's headers into its own with
// ErrorResponse.EachHeader.
type Adapter struct {
	m *Manager
}

// Adapter returns the adapter-facing side of m. It panics when m is nil:
// adapters call it when their middleware is made, so that a missing
// Manager is a start-up error, never one at request time.
func (m *Manager) Adapter() Adapter {
	if m == nil {
		panic("vishnu: Manager.Adapter called on a nil *Manager")
	}
	return Adapter{m: m}
}

// Open returns the session of one request, which reaches the request through
// t. Nothing is read (not even the cookie) until the session is first used.
// ctx is used for store calls; put the session in the context the handler
// sees with NewContext.
func (a Adapter) Open(ctx context.Context, t Transport) *Session {
	s := new(Session)
	s.init(a.m, ctx, t)
	return s
}

// OpenHTTP opens the session of a net/http request: Open with the
// Transport of the request (cookies from r, headers on w.Header()), and the
// context, derived from r's, that carries the session (where FromContext
// and Manager.FromContext find it), all in one allocation. The adapter puts
// the context on the request the handler sees (r.WithContext(ctx)).
func (a Adapter) OpenHTTP(w http.ResponseWriter, r *http.Request) (*Session, context.Context) {
	b := new(httpSession)
	b.open(a.m, w, r)
	return &b.s, &b.ctx
}

// HTTPTransport returns the Transport of a net/http request: cookies from r,
// headers on w.Header(). OpenHTTP uses it; an adapter that opens its
// sessions with Open may too.
func (a Adapter) HTTPTransport(w http.ResponseWriter, r *http.Request) Transport {
	return &httpTransport{w: w, r: r}
}

// Commit is the commit point of a request (see the adapter contract on
// Adapter). It persists the session if AutoSave is on and it changed,
// refreshes its expiry when due, and sets the session cookie through the
// session's Transport. Every response whose session was used gets Vary:
// Cookie and a Cache-Control that no shared cache may store, since what
// it says depends on the visitor; a request that never used its session
// gets neither.
//
// An error other than ErrHeadersWritten means the request must be answered
// with a.ErrorResponse(s, err) instead of the handler's response; nothing
// was set on the response. ErrHeadersWritten means the Transport reported
// its headers gone (HeadersSentReporter) and a change needed a cookie: it
// was not kept, and nothing can be sent in place of the response.
func (a Adapter) Commit(s *Session) error {
	if s == nil {
		return nil
	}
	late := false
	if r, ok := s.t.(HeadersSentReporter); ok {
		late = r.HeadersSent()
	}
	return s.commitPoint(late)
}

// Finish ends a request after its handler has returned: it persists the
// changes made after the commit point that need no cookie (with AutoSave),
// and logs those that could not be kept. Adapters call it last, after
// Commit; it never changes the response.
//
// After Finish, every change to the session fails with ErrRequestEnded.
func (a Adapter) Finish(s *Session) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Only a commit point that succeeded leaves anything to commit late:
	// without one (Commit not called), or after the error response, the
	// request's changes are not kept.
	late := s.life.window == windowClosed && s.commitErr == nil && s.life.used()
	if late {
		if err := s.commitLocked(false, false); err != nil && !errors.Is(err, ErrHeadersWritten) { // that one is logged already
			a.m.cfg.Logger.ErrorContext(s.ctx, "vishnu: session commit after the response started failed", "err", err)
		}
		s.logUnsavedLocked()
	}
	s.life.end()
}

// ErrorResponse logs err and returns the response to send for it in place
// of the handler's: the configured one (Config.ErrorResponse), with a
// Cache-Control of no-store and the session's pending cookie (such as the
// deletion cookie of a logout, which goes out even when the request fails)
// added. s may be nil. Adapters send it through their framework's own error
// path, without the headers the handler set (Gate.Replace does that for
// adapters on net/http; others use ErrorResponse.EachHeader).
func (a Adapter) ErrorResponse(s *Session, err error) ErrorResponse {
	return a.m.sessionErrorResponse(s, err)
}

// sessionErrorResponse is Adapter.ErrorResponse.
func (m *Manager) sessionErrorResponse(s *Session, err error) ErrorResponse {
	if s == nil {
		return m.errorResponse(context.Background(), err, "")
	}
	s.mu.Lock()
	line := s.outLine
	inHeader := line != "" && s.state != nil && s.src != TokenInCookie
	s.mu.Unlock()
	if inHeader {
		resp := m.errorResponse(s.ctx, err, "")
		m.addTokenHeader(&resp, line)
		return resp
	}
	return m.errorResponse(s.ctx, err, m.withChunkDeletions(s.t, line))
}

// HeadersSentReporter is implemented by a Transport that knows whether its
// response's headers have gone out. Commit asks it: a commit after the
// headers went out reports a change that needed the cookie as
// ErrHeadersWritten instead of setting a cookie nobody will see.
type HeadersSentReporter interface {
	HeadersSent() bool
}
