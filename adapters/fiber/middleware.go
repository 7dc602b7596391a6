package vishnufiber

import (
	"bytes"
	"errors"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// errNoManager is what every request gets from a middleware made without a
// Manager: a configuration mistake, reported where the handler would run
// rather than as a panic.
var errNoManager = errors.New("vishnufiber: Middleware needs a *vishnu.Manager, got nil")

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
// If the session cannot be loaded or committed, the response is replaced by
// the error response (see Options.ErrorHandler).
func MiddlewareWithOptions(m *vishnu.Manager, opts Options) fiber.Handler {
	if m == nil {
		return func(*fiber.Ctx) error { return errNoManager }
	}
	o := &opts
	return func(c *fiber.Ctx) error {
		if o.Next != nil && o.Next(c) {
			return c.Next()
		}
		outer := innermost(c)
		for x := outer; x != nil; x = x.next {
			if x.m == m {
				return c.Next() // the same manager further out already gave the session
			}
		}
		ctx := c.Context()
		r := &request{m: m, opts: o, ctx: ctx, next: outer}
		if h := &ctx.Response.Header; hasHeaders(h) {
			r.outer = new(fasthttp.ResponseHeader)
			h.CopyTo(r.outer)
		}
		uctx := c.UserContext()
		r.s = m.Open(uctx, r)
		c.Locals(requestKey{}, r)
		c.SetUserContext(vishnu.NewContext(uctx, r.s))
		return r.serve(c)
	}
}

// serve runs the rest of the chain and the commit point.
func (r *request) serve(c *fiber.Ctx) error {
	returned := false
	defer func() {
		// The chain panicked: the session commits for the page that the
		// recovering middleware further out renders, as the net/http
		// middleware commits on its write. The panic goes on unrecovered,
		// with its stack intact.
		if !returned {
			if err := r.m.Commit(r.s); err != nil {
				_ = r.fail(c, err)
			}
		}
	}()
	err := c.Next()
	returned = true
	if cerr := r.m.Commit(r.s); cerr != nil {
		return r.fail(c, cerr)
	}
	// An error of the handler is rendered by fiber's ErrorHandler after the
	// chain, on this response: the session cookie that Commit set goes out
	// with that page.
	return err
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
