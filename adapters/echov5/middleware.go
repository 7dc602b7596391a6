package vishnuechov5

import (
	"net/http"

	"github.com/labstack/echo/v5"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// Middleware returns echo v5 middleware that gives each request a session
// of m, reachable with Session(c), and commits it just before the response
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
func MiddlewareWithOptions(m *vishnu.Manager, opts Options) echo.MiddlewareFunc {
	if m == nil {
		panic("vishnuechov5: Middleware called with a nil *vishnu.Manager")
	}
	a := m.Adapter()
	skip, handle := opts.Skipper, opts.ErrorHandler
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			if skip != nil && skip(c) {
				return next(c)
			}
			res, err := echo.UnwrapResponse(c.Response())
			if err != nil {
				// A writer set by middleware around this one that does not
				// unwrap to echo's Response, as echo asks: one of echo's
				// own is put over it, so that the handler's helpers and
				// echo's error handler see the response's state.
				res = echo.NewResponse(c.Response(), c.Logger())
				c.SetResponse(res)
			}
			// One allocation holds the writer and the request copy that
			// carries the session in its context.
			rq := new(request)
			w := &rq.w
			s, ctx := a.OpenHTTP(res.ResponseWriter, c.Request())
			*w = writer{GateWriter: a.NewWriter(res.ResponseWriter, s, refused), res: res, a: a, s: s}
			rq.r = *c.Request().WithContext(ctx)
			c.SetRequest(&rq.r)
			res.ResponseWriter = w
			defer w.unwind() // end does not run when the handler panics
			return w.end(c, next(c), handle)
		}
	}
}

// request is what the middleware allocates per request.
type request struct {
	w writer
	r http.Request
}

// end is the commit point of a handler chain that returned without
// writing (or with an error for echo to render), sends the error response
// if the commit failed, and finishes the session.
func (w *writer) end(c *echo.Context, err error, handle func(*echo.Context, error) error) error {
	if w.State() == vishnu.GatePending {
		_ = w.Commit()
	}
	// The gate has done its work: from here on, writes (echo's error
	// handler's) go straight below.
	w.res.ResponseWriter = w.ResponseWriter
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
func (w *writer) replace(c *echo.Context, handle func(*echo.Context, error) error) error {
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
