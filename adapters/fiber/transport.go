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

	// The values of the session's cookie, copied out of the request when
	// the session is made, on the handler's goroutine (see copyCookies).
	cookieName string
	cookies    []string
	cookieBuf  [1]string // room for the usual one value, to save an allocation
	// parts holds the values of the numbered cookies ("name.1" to
	// "name.7") over which the cookie store splits a large session; nil
	// when the request has none.
	parts map[string][]string

	head requestHead // the rest of what the session reads of the request, copied likewise

	// mu guards ended, which a session first used on another goroutine (a
	// stream writer's) reads as the request ends, and head.view.
	mu    sync.Mutex
	ended bool
}

var _ vishnu.Transport = (*request)(nil)

// copyCookies copies the values of the request's cookies named name out of
// fasthttp's request, for Cookies. It runs on the handler's goroutine when
// the session is made, because the session may first be read on another
// one (the handler may hand it to a goroutine), and fasthttp's request
// header is not safe to read there: parsing its cookies rewrites its
// buffers, which races with the handler's own c.Cookies or c.Get. The values
// are copied (strings) because fasthttp reuses its buffers for the next
// request on the connection; a request without the cookie allocates
// nothing. fasthttp has already removed the quotes around a quoted value,
// as net/http's transport does too.
func (r *request) copyCookies(name string) {
	r.cookieName = name
	r.cookies = r.cookieBuf[:0]
	r.parts = nil
	r.ctx.Request.Header.VisitAllCookie(func(k, v []byte) {
		switch {
		case string(k) == name:
			if len(r.cookies) < maxCookieValues {
				r.cookies = append(r.cookies, string(v))
			}
		case isPart(k, name):
			if r.parts == nil {
				r.parts = make(map[string][]string, 4)
			}
			if vs := r.parts[string(k)]; len(vs) < maxCookieValues {
				r.parts[string(k)] = append(vs, string(v))
			}
		}
	})
}

// isPart reports whether k names one of the numbered cookies of the
// session cookie name: name, a dot and a digit from 1 to 7.
func isPart(k []byte, name string) bool {
	return len(k) == len(name)+2 && string(k[:len(name)]) == name && k[len(name)] == '.' && k[len(name)+1] >= '1' && k[len(name)+1] <= '7'
}

// Cookies returns the values of the request's cookies named name, as
// copyCookies found them: the session asks only for its own cookie and,
// with the cookie store, its numbered parts. After
// the request has ended there are none, as fasthttp has reset the request.
func (r *request) Cookies(name string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.ended:
		return nil
	case name == r.cookieName:
		return r.cookies
	}
	return r.parts[name]
}

// RequestHeader returns the values of the request header key, as
// copyHead found them; after the request has ended there are none.
func (r *request) RequestHeader(key string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return nil
	}
	return r.head.values(key)
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
