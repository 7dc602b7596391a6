package vishnugin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// errNoManager is what a middleware made without a manager records in
// c.Errors, beside the 500 it answers every request with.
var errNoManager = errors.New("vishnugin: Middleware called with a nil *vishnu.Manager")

// Middleware returns the gin middleware of m's sessions: each request gets
// a session, reachable with Session(c) (or SessionOf(c, m)), and the
// session is committed just before the response headers go out, on every
// path gin has (see the package documentation), without buffering the
// body. Install it with r.Use, on the engine or on a route group.
func Middleware(m *vishnu.Manager) gin.HandlerFunc {
	return MiddlewareWithOptions(m, Options{})
}

// MiddlewareWithOptions is Middleware with options.
//
// A nil m is a programming error that gin's HandlerFunc has no way to
// return: the middleware then answers every request with a 500 and records
// the error in c.Errors, rather than panic at request time.
func MiddlewareWithOptions(m *vishnu.Manager, opts Options) gin.HandlerFunc {
	if m == nil {
		return func(c *gin.Context) { _ = c.AbortWithError(http.StatusInternalServerError, errNoManager) }
	}
	return func(c *gin.Context) {
		req := c.Request
		w := &writer{ResponseWriter: c.Writer, c: c, m: m, req: req, onError: opts.ErrorHandler}
		// Headers set before the session middleware ran (by outer
		// middleware: HSTS, CSP, CORS) survive an error response; the
		// handler's do not. Most requests have none, and pay nothing.
		if h := w.ResponseWriter.Header(); len(h) > 0 {
			w.outer = h.Clone()
		}
		var ctx context.Context
		w.s, ctx = m.OpenHTTP(w.ResponseWriter, req)
		c.Request = req.WithContext(ctx)
		c.Writer = w
		// On a panic, finish is skipped: the session is not committed (a
		// handler that crashed half-way leaves its changes unsaved, as
		// core's net/http middleware does), and release puts gin's writer
		// back so that a recovering middleware outside this one answers
		// through it.
		defer w.release()
		c.Next()
		w.finish()
	}
}

// finish runs when the chain has returned. gin writes the headers of a
// handler that wrote nothing itself, after the whole chain and past
// c.Writer, so this is the commit point of such a handler (c.Status alone,
// a handler that only recorded an error for an outer middleware to render).
// Then it commits what can still be committed of later changes.
func (w *writer) finish() {
	switch {
	case w.committed:
	case w.ResponseWriter.Written():
		w.commitBypassed()
	default:
		w.commit()
	}
	w.m.Finish(w.s)
}

// commitBypassed commits a session whose response went out past this
// writer: c.HandleContext puts gin's own writer back in c.Writer and runs
// the chain again, and that run answers. What needs no cookie is still
// saved; a cookie, or an error response, can no longer be sent, and that is
// recorded in c.Errors (for gin.Logger) rather than lost in silence.
func (w *writer) commitBypassed() {
	h := w.ResponseWriter.Header()
	before := slices.Clone(h["Set-Cookie"])
	w.committed = true
	err := w.m.Commit(w.s)
	if err == nil && !slices.Equal(before, h["Set-Cookie"]) {
		err = vishnu.ErrHeadersWritten
	}
	h["Set-Cookie"] = before // as it went out
	if err != nil {
		_ = w.c.Error(fmt.Errorf("vishnugin: the response went out past the session middleware (c.HandleContext?): %w", err))
	}
}

// release hands the context back as the middleware got it: gin's writer,
// and the request without the session, which ends with this middleware.
func (w *writer) release() {
	w.c.Writer = w.ResponseWriter
	w.c.Request = w.req
}
