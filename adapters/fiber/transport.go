package vishnufiber

import (
	"strings"
	"sync"

	"github.com/valyala/fasthttp"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// maxCookieValues is how many same-name cookie values the session looks
// at (see vishnu.Transport): a browser sends one per path or domain.
const maxCookieValues = 4

// request is one request's state: its session, and the vishnu.Transport
// through which the session reaches the request. It holds the fasthttp
// RequestCtx, not the *fiber.Ctx, because fiber reuses its Ctx as soon as
// the handler chain returns, while the RequestCtx lives until the response
// has been written (a body stream included).
type request struct {
	mw    *middleware
	s     *vishnu.Session
	ctx   *fasthttp.RequestCtx
	outer *fasthttp.ResponseHeader // the response headers set before the middleware ran, if any

	// running is set while the rest of the chain runs (on the handler's
	// goroutine): the commit point is still to come.
	running bool

	sctx storeContext // the context of the session's store calls

	// mu guards ctx's request against the end of the request: a session
	// first used by a stream writer reads its cookie from another
	// goroutine, and fasthttp resets the request once the response is out.
	mu    sync.Mutex
	ended bool

	cookies [1]string // room for the usual one cookie value, to save an allocation
}

var _ vishnu.Transport = (*request)(nil)

// Cookies returns the values of the request's cookies named name, copied:
// fasthttp reuses its buffers for the next request on the connection, and
// the session must never alias them. fasthttp has already removed the
// quotes around a quoted value, as net/http's transport does too. After the
// request has ended there are none.
func (r *request) Cookies(name string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return nil
	}
	values := r.cookies[:0]
	r.ctx.Request.Header.VisitAllCookie(func(k, v []byte) {
		if len(values) < maxCookieValues && string(k) == name {
			values = append(values, string(v))
		}
	})
	return values
}

// RequestHeader returns the values of the request header key, copied for
// the same reason as the cookies; after the request has ended there are
// none.
func (r *request) RequestHeader(key string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return nil
	}
	var values []string
	for _, v := range r.ctx.Request.Header.PeekAll(key) {
		values = append(values, string(v))
	}
	return values
}

// SetCookie sets line as it is, a raw Set-Cookie header: fiber's c.Cookie
// cannot express Partitioned and turns an empty SameSite into Lax, so the
// line core formats is the one that must go out. fasthttp keys response
// cookies by name, which makes replacing an earlier one a DelCookie.
func (r *request) SetCookie(name, line string) {
	h := &r.ctx.Response.Header
	h.DelCookie(name)
	h.Add(fasthttp.HeaderSetCookie, line)
}

// Header returns the response header's values for key, joined by ", ".
func (r *request) Header(key string) string {
	values := r.ctx.Response.Header.PeekAll(key)
	switch len(values) {
	case 0:
		return ""
	case 1:
		return string(values[0])
	}
	var b strings.Builder
	for i, v := range values {
		if i > 0 {
			b.WriteString(", ")
		}
		b.Write(v)
	}
	return b.String()
}

// SetHeader sets the response header key to value, replacing every value
// (fasthttp's Set replaces only the first).
func (r *request) SetHeader(key, value string) {
	h := &r.ctx.Response.Header
	h.Del(key)
	h.Set(key, value)
}

// Close is the end of the request: fasthttp calls it, as it calls Close on
// every value in the RequestCtx's user values (fiber's Locals), once the
// response has been written, after any stream writer or hijack handler has
// run, and after fiber's ErrorHandler and every middleware have returned.
func (r *request) Close() error {
	r.end()
	return nil
}

// end finishes the session, once. From then on the session reads no
// cookie: fasthttp is about to reset the request. A request whose session
// was never made has nothing to end (a later first use makes it then).
func (r *request) end() {
	if r.s == nil {
		return
	}
	r.mu.Lock()
	ended := r.ended
	r.ended = true
	r.mu.Unlock()
	if !ended {
		r.mw.a.Finish(r.s)
	}
}
