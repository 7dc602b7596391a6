package vishnugin

import (
	"fmt"

	"github.com/gin-gonic/gin"
	vishnu "github.com/vishnu-go/vishnu/core"
)

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
// It panics when m is nil: at start-up, where the middleware is made,
// never at request time.
func MiddlewareWithOptions(m *vishnu.Manager, opts Options) gin.HandlerFunc {
	if m == nil {
		panic("vishnugin: Middleware called with a nil *vishnu.Manager")
	}
	a := m.Adapter()
	return func(c *gin.Context) {
		req := c.Request
		w := &writer{ResponseWriter: c.Writer, c: c, a: a, req: req, onError: opts.ErrorHandler}
		// Headers set before the session middleware ran (by outer
		// middleware: HSTS, CSP, CORS) survive an error response; the
		// handler's do not.
		s, ctx := a.OpenHTTP(w.ResponseWriter, req)
		w.gate = a.NewGate(s, w.ResponseWriter.Header())
		c.Request = req.WithContext(ctx)
		c.Writer = w
		// On a panic, finish is skipped: the session is not committed (a
		// handler that crashed half-way leaves its changes unsaved, as
		// core's net/http middleware does), and release puts gin's writer
		// back so that a recovering middleware outside this one answers
		// through it.
		defer w.release()
		c.Next()
		w.finish(s)
	}
}

// finish runs when the chain has returned. gin writes the headers of a
// handler that wrote nothing itself, after the whole chain and past
// c.Writer, so this is the commit point of such a handler (c.Status alone,
// a handler that only recorded an error for an outer middleware to render).
// Then it commits what can still be committed of later changes.
func (w *writer) finish(s *vishnu.Session) {
	if w.gate.State() == vishnu.GatePending {
		if w.ResponseWriter.Written() {
			w.commitBypassed()
		} else {
			w.commit()
		}
	}
	w.a.Finish(s)
}

// commitBypassed commits a session whose response went out past this
// writer: c.HandleContext puts gin's own writer back in c.Writer and runs
// the chain again, and that run answers. What needs no cookie is still
// saved; a cookie, or an error response, can no longer be sent, and that is
// recorded in c.Errors (for gin.Logger) rather than lost in silence.
func (w *writer) commitBypassed() {
	if err := w.gate.CommitLate(); err != nil {
		_ = w.c.Error(fmt.Errorf("vishnugin: the response went out past the session middleware (c.HandleContext?): %w", err))
	}
}

// release hands the context back as the middleware got it: gin's writer,
// and the request without the session, which ends with this middleware.
func (w *writer) release() {
	w.c.Writer = w.ResponseWriter
	w.c.Request = w.req
}
