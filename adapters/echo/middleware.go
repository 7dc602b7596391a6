package vishnuecho

import (
	"net/http"

	"github.com/labstack/echo/v4"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// Middleware returns echo middleware that gives each request a session of
// m, reachable with Session(c), and commits it just before the response
// headers go out. It is MiddlewareWithOptions with the zero Options.
//
// It panics when m is nil, as echo's own constructors do with a bad
// configuration: at start-up, where the middleware is made, never at
// request time.
func Middleware(m *vishnu.Manager) echo.MiddlewareFunc {
	return MiddlewareWithOptions(m, Options{})
}

// MiddlewareWithOptions is Middleware configured by opts.
//
// The session is committed at the first of: a write of the response
// (WriteHeader or Write, through any of echo's helpers), a Flush, a
// Hijack, or the return of the handler chain inside the middleware, when
// nothing was written. When the handler returns an error, the session is
// committed before the middleware passes the error on, so that the page
// echo's HTTPErrorHandler renders for it carries the session's cookie.
//
// When the commit fails, nothing of the handler's response goes out: its
// writes fail with ErrResponseReplaced, and once it returns the error
// response is sent instead (see Options.ErrorHandler).
//
//go:noinline
func MiddlewareWithOptions(m *vishnu.Manager, opts Options) echo.MiddlewareFunc {
	if m == nil {
		panic("vishnuecho: Middleware called with a nil *vishnu.Manager")
	}
	a := m.Adapter()
	// echo builds the chain anew for each request: the closure below is
	// allocated per request, so it captures one pointer, not each setting.
	cfg := &config{a: a, skip: opts.Skipper, handle: opts.ErrorHandler}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			a := cfg.a
			if cfg.skip != nil && cfg.skip(c) {
				return next(c)
			}
			r, res := c.Request(), c.Response()
			// One allocation holds the writer and the request copy that
			// carries the session in its context: WithContext is inlined,
			// so its own copy stays on the stack. (MiddlewareWithOptions is
			// kept from being inlined so that this closure is compiled here,
			// not in the caller's package, where the inlining budget ran
			// out and the copy cost an allocation of its own.)
			rq := new(request)
			w := &rq.w
			s, ctx := a.OpenHTTP(res.Writer, r)
			*w = writer{GateWriter: a.NewWriter(res.Writer, s, refused), res: res, a: a, s: s}
			rq.r = *r.WithContext(ctx)
			c.SetRequest(&rq.r)
			res.Writer = w
			defer w.unwind() // end does not run when the handler panics
			return w.end(c, next(c), cfg.handle)
		}
	}
}

// config is a middleware's settings.
type config struct {
	a      vishnu.Adapter
	skip   func(echo.Context) bool
	handle func(echo.Context, error) error
}

// request is what the middleware allocates per request.
type request struct {
	w writer
	r http.Request
}

// end is the commit point of a handler chain that returned without
// writing (or with an error for echo to render), sends the error response
// if the commit failed, and finishes the session.
func (w *writer) end(c echo.Context, err error, handle func(echo.Context, error) error) error {
	if w.State() == vishnu.GatePending {
		_ = w.Commit()
	}
	// Inner middleware may leave its own writer in place (Gzip does once
	// it has compressed); from here on, writes go straight below.
	w.res.Writer = w.ResponseWriter
	if w.State() == vishnu.GateFailed {
		err = w.replace(c, handle)
	}
	w.a.Finish(w.s)
	return err
}

// replace answers a failed commit once the handler has returned: the
// response is still clean (the writer let nothing through), so it is
// rewound and the error response written through echo's Response, or left
// to handle. The handler's own error, if any, is superseded.
func (w *writer) replace(c echo.Context, handle func(echo.Context, error) error) error {
	resp := w.Replace(w.ResponseWriter.Header(), handle != nil)
	// The handler's WriteHeader went through echo's Response, which marked
	// itself committed although nothing went out.
	res := w.res
	res.Committed, res.Status, res.Size = false, http.StatusOK, 0
	if handle != nil {
		return handle(c, w.Err())
	}
	res.WriteHeader(resp.Status)
	_, _ = res.Write(resp.Body) // the client went away: nothing else to do
	return nil
}
