package vishnu

import (
	"net/http"
	"net/textproto"
	"strings"
)

// Transport is how a session reaches the request it belongs to: the
// request's cookies and headers (where its token travels, see
// TokenConfig), and the response's headers. Core's net/http middleware has
// one (Adapter.HTTPTransport serves any framework built on net/http); an
// adapter for another framework implements it and gives it to Adapter.Open
// (see the adapter contract on Adapter).
//
// Cookies and RequestHeader may be called from any goroutine of the
// request (the session is read when first used); SetCookie, Header and
// SetHeader are called only by Commit, on the goroutine that calls it, so
// a Transport needs no locking of its own. A Transport that knows when its
// headers went out implements HeadersSentReporter too.
type Transport interface {
	// Cookies returns the values of the request's cookies named name, in
	// the order the request has them (a browser may send several). Only the
	// first four are used, so an implementation may stop there; values are
	// used only during the request. It is asked for the session cookie's
	// name and, with the cookie store, for the names of the numbered
	// cookies a large session takes ("name.1" to "name.7").
	Cookies(name string) []string

	// RequestHeader returns the values of the request's header key, one
	// per header line, in order (nil when absent); an empty line is an
	// empty value. Values are used only during the request. Managers whose
	// tokens travel in a header read them with it (Config.Token).
	RequestHeader(key string) []string

	// SetCookie sets a Set-Cookie header line (line is the whole value,
	// "name=value; Path=/; ...") on the response, replacing one set earlier
	// in this response for the same cookie name.
	SetCookie(name, line string)

	// Header returns the response header's values for key, joined by ", "
	// ("" when absent). SetHeader sets it to value, replacing every value.
	Header(key string) string
	SetHeader(key, value string)
}

// httpSession is a net/http request's session with its transport and the
// context that carries it: what Adapter.OpenHTTP allocates, and part of what the
// middleware allocates.
type httpSession struct {
	s   Session
	t   httpTransport
	ctx sessionContext
}

func (b *httpSession) open(m *Manager, w http.ResponseWriter, r *http.Request) {
	b.ctx = sessionContext{Context: r.Context(), s: &b.s}
	b.t = httpTransport{w: w, r: r}
	b.s.init(m, &b.ctx, &b.t)
}

// httpTransport is the Transport of net/http requests.
type httpTransport struct {
	w       http.ResponseWriter
	r       *http.Request
	cookies [1]string // room for the usual one cookie value, to save an allocation
	private [2]string // the usual Vary and Cache-Control values, likewise
	line    [1]string // the usual single Set-Cookie line, likewise
}

// Cookies scans the Cookie header lines without splitting them into a list
// first, and stops at maxCookieValues: a huge header costs a scan, not an
// allocation per cookie.
func (t *httpTransport) Cookies(name string) []string {
	values := t.cookies[:0]
	for _, line := range t.r.Header["Cookie"] {
		for part := range strings.SplitSeq(line, ";") {
			n, v, ok := strings.Cut(textproto.TrimString(part), "=")
			if !ok || n != name {
				continue
			}
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			if values = append(values, v); len(values) == maxCookieValues {
				return values
			}
		}
	}
	return values
}

func (t *httpTransport) RequestHeader(key string) []string { return t.r.Header.Values(key) }

func (t *httpTransport) SetCookie(name, line string) {
	h := t.w.Header()
	old := h["Set-Cookie"]
	if len(old) == 0 {
		t.line[0] = line
		h["Set-Cookie"] = t.line[0:1:1]
		return
	}
	lines := old[:0:0]
	for _, l := range old {
		if len(l) <= len(name) || l[len(name)] != '=' || l[:len(name)] != name {
			lines = append(lines, l)
		}
	}
	h["Set-Cookie"] = append(lines, line)
}

func (t *httpTransport) Header(key string) string {
	return strings.Join(t.w.Header().Values(key), ", ")
}

func (t *httpTransport) SetHeader(key, value string) { t.w.Header().Set(key, value) }

// markPrivateFast does what markPrivate does in the usual case, where the
// handler set neither Vary nor Cache-Control, without allocating.
func (t *httpTransport) markPrivateFast() bool {
	h := t.w.Header()
	if len(h["Vary"]) != 0 || len(h["Cache-Control"]) != 0 {
		return false
	}
	t.private = [2]string{"Cookie", "private"}
	h["Vary"], h["Cache-Control"] = t.private[0:1:1], t.private[1:2:2]
	return true
}

// plainHTTPHost returns the request's host when it came over plain HTTP to a
// host that is not loopback: a browser drops Secure cookies set there.
func (t *httpTransport) plainHTTPHost() (string, bool) {
	if t.r.TLS != nil || strings.EqualFold(t.r.Header.Get("X-Forwarded-Proto"), "https") {
		return "", false
	}
	return t.r.Host, !isLoopbackHost(t.r.Host)
}
