package vishnufiber

import (
	"bytes"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// Middleware returns fiber middleware that gives each request m's session,
// reachable with Session (or SessionOf), and commits it when the handler
// chain returns, which is when fasthttp's response headers are still to be
// written. It is MiddlewareWithOptions with the zero Options.
func Middleware(m *vishnu.Manager) fiber.Handler {
	return MiddlewareWithOptions(m, Options{})
}

// MiddlewareWithOptions is Middleware configured by opts.
//
// The commit point is the return of the handler chain (c.Next()), on the
// handler's goroutine, whether the handler returned nil, returned an error
// (the cookie then goes out with the page that fiber's ErrorHandler renders
// afterwards) or panicked (the cookie goes out with the page of the
// recovering middleware further out). Nothing of fasthttp's response has
// been sent at that moment, even with a body stream: a stream writer runs
// concurrently and its output is sent after the headers. From the commit
// point on, a session change that needs a cookie fails with
// vishnu.ErrHeadersWritten; the changes that need none (with AutoSave) are
// persisted when the request ends, after any stream writer has returned.
//
// A request that never calls Session costs no allocation: the session is
// made when first asked for.
//
// If the session cannot be loaded or committed, the response is replaced by
// the error response (see Options.ErrorHandler).
//
// It panics when m is nil: at start-up, where the middleware is made, never
// at request time.
func MiddlewareWithOptions(m *vishnu.Manager, opts Options) fiber.Handler {
	if m == nil {
		panic("vishnufiber: Middleware called with a nil *vishnu.Manager")
	}
	mw := &middleware{m: m, a: m.Adapter(), opts: opts}
	mw.running = mark{mw: mw, running: true}
	mw.returned = mark{mw: mw}
	return mw.handle
}

// middleware is one Middleware. A request's state is in its c.Locals, under
// the Manager: a mark until the session is first used, then the request.
// Under requestKey{} is the innermost middleware, for Session.
type middleware struct {
	m    *vishnu.Manager // the key of the request's state in c.Locals
	a    vishnu.Adapter
	opts Options

	running, returned mark
}

// mark is a request's state while its session has not been used: it costs
// no allocation, since every request shares the middleware's two marks.
type mark struct {
	mw      *middleware
	running bool // the chain is running; false once it has returned
}

func (mw *middleware) handle(c *fiber.Ctx) error {
	if mw.opts.Next != nil && mw.opts.Next(c) {
		return c.Next()
	}
	switch v := c.Locals(mw.m).(type) {
	case *mark:
		if v.running {
			return c.Next() // the same manager further out gives the session
		}
	case *request:
		if v.running {
			return c.Next()
		}
		// Left by an earlier request on a RequestCtx reused without
		// fasthttp's reset, which would have ended it (a harness that calls
		// app.Handler() in memory does this): that request is over.
		v.end()
	}
	if h := &c.Context().Response.Header; hasHeaders(h) {
		// The headers of middleware further out must survive a failure of
		// the session: copy them now, into the request's state, made now
		// (its session still waits for first use).
		r := &request{mw: mw, ctx: c.Context(), running: true}
		r.outer = new(fasthttp.ResponseHeader)
		h.CopyTo(r.outer)
		c.Locals(mw.m, r)
	} else {
		c.Locals(mw.m, &mw.running)
	}
	c.Locals(requestKey{}, mw)
	return mw.serve(c)
}

// session returns the request's session, made on first use.
func (mw *middleware) session(c *fiber.Ctx) *vishnu.Session {
	var r *request
	switch v := c.Locals(mw.m).(type) {
	case *request:
		if v.s != nil {
			return v.s
		}
		r = v
	case *mark:
		r = &request{mw: mw, ctx: c.Context(), running: v.running}
		c.Locals(mw.m, r)
	default:
		return nil
	}
	// The session's store calls get the request's user context as it is
	// now, without its cancellation from the commit point on.
	r.sctx.ctx = c.UserContext()
	if !r.running {
		r.sctx.after.Store(true)
	}
	r.copyCookies(mw.m.CookieName())
	r.copyHead()
	r.s = mw.a.Open(&r.sctx, r)
	if !r.running {
		// First used after the commit point (by fiber's ErrorHandler, a
		// middleware further out): its commit point is now, so that a
		// change that needs a cookie fails with ErrHeadersWritten. An
		// unused session has nothing to commit.
		_ = mw.a.Commit(r.s)
	}
	return r.s
}

// serve runs the rest of the chain and the commit point.
func (mw *middleware) serve(c *fiber.Ctx) error {
	returned := false
	defer func() {
		// The chain panicked: the session commits for the page that the
		// recovering middleware further out renders, as the net/http
		// middleware commits on its write. The panic goes on unrecovered,
		// with its stack intact.
		if !returned {
			_, _, _ = mw.commit(c)
		}
	}()
	err := c.Next()
	returned = true
	r, failure, failed := mw.commit(c)
	if failed {
		return failure
	}
	if ctx := c.Context(); r != nil && err == nil && !ctx.IsBodyStream() && !ctx.Hijacked() {
		// Nothing of the request runs after the response is written: it
		// ends now, before the client has the response, as on net/http.
		// Otherwise a stream writer, a hijack handler or fiber's
		// ErrorHandler is still to run, and the request ends when fasthttp
		// resets its RequestCtx (request.Close).
		r.end()
	}
	// An error of the handler is rendered by fiber's ErrorHandler after the
	// chain, on this response: the session cookie that Commit set goes out
	// with that page.
	return err
}

// commit is the commit point: it commits the session if it was used, and
// marks the chain returned. It returns the request's state, nil if there
// is none. When the commit fails, the error response has replaced the
// handler's, and failure is what the chain must return.
func (mw *middleware) commit(c *fiber.Ctx) (r *request, failure error, failed bool) {
	r, _ = c.Locals(mw.m).(*request)
	if r == nil {
		c.Locals(mw.m, &mw.returned)
		return nil, nil, false
	}
	r.running = false
	if r.s == nil {
		return r, nil, false // never used
	}
	r.sctx.after.Store(true)
	if err := mw.a.Commit(r.s); err != nil {
		return r, r.fail(c, err), true
	}
	return r, nil, false
}

// defaultContentType is the Content-Type fasthttp reports for a response
// that has none.
var defaultContentType = []byte("text/plain; charset=utf-8")

// hasHeaders reports whether h holds anything set by middleware that ran
// before the session middleware: fasthttp counts its default Content-Type
// among the headers of an empty response.
func hasHeaders(h *fasthttp.ResponseHeader) bool {
	n := h.Len()
	if bytes.Equal(h.ContentType(), defaultContentType) {
		n--
	}
	return n > 0 || h.StatusCode() != fasthttp.StatusOK
}
