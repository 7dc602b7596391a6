package vishnu

import (
	"net/http"
	"slices"
)

// GateState is where a response stands with regard to its commit point.
type GateState uint8

const (
	// GatePending: the commit point has not run; nothing has gone out.
	GatePending GateState = iota
	// GateCommitted: the session is committed; the handler's response goes out.
	GateCommitted
	// GateFailed: the commit failed; nothing of the handler's response
	// may go out, and the error response is due.
	GateFailed
	// GateReplaced: the error response was built (Replace) and goes out in
	// place of the handler's.
	GateReplaced
	// GateAbandoned: the handler panicked before anything went out; nothing
	// is committed, and what a recovering middleware writes goes out as it is.
	GateAbandoned
)

// Gate is the commit-once gate of one net/http response: an adapter's
// response writer calls Commit before anything of the response goes out
// (WriteHeader, Write, Flush, Hijack, ReadFrom, or the handler's return),
// and lets the write through only when it returns nil (GateWriter, from
// Adapter.NewWriter, is such a writer). It remembers the
// headers set before the middleware ran, so that Replace can send the
// error response with them and without the handler's.
//
// A Gate is used by one goroutine at a time, as the writer that holds it.
type Gate struct {
	s     *Session
	outer http.Header // the headers set before the middleware ran; nil when none
	state GateState
	// The commit's error is the session's: Adapter.Commit returns it again
	// on every later call, so the gate, which core's middleware allocates
	// with each request, does not hold it too.
}

// NewGate returns the gate of the response whose session is s and whose
// header, as the middleware gets it, is h. Make it before the handler runs.
func (a Adapter) NewGate(s *Session, h http.Header) Gate {
	g := Gate{s: s}
	// Most requests have no headers yet, and pay nothing.
	if len(h) > 0 {
		g.outer = h.Clone()
	}
	return g
}

// State returns where the response stands.
func (g *Gate) State() GateState { return g.state }

// Err returns the commit's error once it failed, and nil otherwise.
func (g *Gate) Err() error {
	if g.state != GateFailed && g.state != GateReplaced {
		return nil
	}
	return g.s.commitPoint(false) // the first call's result
}

// Commit runs the commit point once, and returns nil when the handler's
// response may go out: committed, or abandoned by a panic. Otherwise it
// returns the commit's error, now and on every later call: the adapter
// fails the handler's write, and sends the error response (Replace) at
// once or when the handler returns.
//
// The state changes only once Adapter.Commit returns: if it panics, the
// write of a recovering middleware commits again, and gets an error, so
// the request gets the error response.
func (g *Gate) Commit() error {
	switch g.state {
	case GateCommitted, GateAbandoned:
		return nil
	case GateFailed, GateReplaced:
		return g.Err()
	}
	if err := g.s.m.Adapter().Commit(g.s); err != nil {
		g.state = GateFailed
		return err
	}
	g.state = GateCommitted
	return nil
}

// CommitLate is the commit point of a response that went out without
// passing the gate (a framework that answered past the adapter's writer):
// what needs no cookie is persisted, and a change that needed the cookie
// is reported as ErrHeadersWritten. Nothing can be sent in place of the
// response, so the gate counts as committed whatever the result, which the
// adapter records where its framework records errors.
func (g *Gate) CommitLate() error {
	if g.state != GatePending {
		return nil
	}
	err := g.s.commitPoint(true)
	g.state = GateCommitted
	return err
}

// Unwind is called when the handler chain unwinds, by a return or a panic
// (from a defer). A response still pending is abandoned: nothing is
// committed, as on net/http, where the server aborts such a request. It
// returns true when a failed commit's error response is still due: the
// adapter sends it at once (Replace), since what follows a panic would
// otherwise answer with what is left of the handler's response.
func (g *Gate) Unwind() bool {
	switch g.state {
	case GatePending:
		g.state = GateAbandoned
	case GateFailed:
		return true
	}
	return false
}

// Replace prepares h, the response header, for the error response of the
// failed commit, and returns that response for the adapter to send (its
// Status and Body): the handler's headers are dropped, those set before the
// middleware ran are put back, and the error response's are merged in (see
// ErrorResponse.MergeHeader; sessionOnly for an error handler of the
// application that writes its own response). The gate is then replaced.
//
// Call it only once Commit failed.
func (g *Gate) Replace(h http.Header, sessionOnly bool) ErrorResponse {
	g.state = GateReplaced
	resp := g.s.m.sessionErrorResponse(g.s, g.Err())
	clear(h)
	for k, v := range g.outer {
		h[k] = slices.Clone(v)
	}
	resp.MergeHeader(h, sessionOnly)
	return resp
}

// IsInformational reports whether a WriteHeader of code sends an informational
// response (103 Early Hints) that precedes the real headers, and so passes
// the gate without committing. 101 Switching Protocols is the final
// response of its request, and commits.
func IsInformational(code int) bool {
	return code >= 100 && code < 200 && code != http.StatusSwitchingProtocols
}
