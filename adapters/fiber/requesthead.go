package vishnufiber

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

	"github.com/valyala/fasthttp"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// requestHead is what the session reads of the request besides its
// cookies: its token headers (RequestHeader) and, for Login, its client
// (vishnu.ClientReporter). It is copied out of fasthttp's request when the
// session is made, on the handler's goroutine, as the cookies are (see
// copyCookies): the session may be read and Login called on another
// goroutine, where fasthttp's request header is not safe to read (reading
// it rewrites its buffers, and the handler may change it). Config.ClientIP
// may read any header (the one its proxy sets), so the copy is the request
// line and every header line but the cookies, in one allocation.
type requestHead struct {
	peer  net.Addr             // the connection's peer (immutable)
	tls   *tls.ConnectionState // nil over plain HTTP
	lines []byte               // "METHOD URI PROTO\r\n", then "Name: value\r\n" for each header line

	view *http.Request // lines as a net/http request, parsed when Login first asks
}

var _ vishnu.ClientReporter = (*request)(nil)

// copyHead fills r.head from fasthttp's request.
func (r *request) copyHead() {
	ctx := r.ctx
	r.head = requestHead{peer: ctx.RemoteAddr()}
	if ctx.IsTLS() {
		r.head.tls = ctx.TLSConnectionState()
	}
	h := &ctx.Request.Header
	n := len(h.Method()) + len(h.RequestURI()) + len(h.Protocol()) + 4
	h.VisitAll(func(k, v []byte) {
		if string(k) != fasthttp.HeaderCookie {
			n += len(k) + len(v) + 4
		}
	})
	b := make([]byte, 0, n)
	b = append(b, h.Method()...)
	b = append(b, ' ')
	b = append(b, h.RequestURI()...)
	b = append(b, ' ')
	b = append(b, h.Protocol()...)
	b = append(b, "\r\n"...)
	h.VisitAll(func(k, v []byte) {
		if string(k) != fasthttp.HeaderCookie {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	})
	r.head.lines = b
}

// values returns the values of the header key in the copy, one per line.
func (h *requestHead) values(key string) []string {
	var values []string
	_, rest, _ := bytes.Cut(h.lines, crlf) // the request line
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, crlf)
		if name, value, ok := bytes.Cut(line, colonSpace); ok && len(name) == len(key) && strings.EqualFold(string(name), key) {
			values = append(values, string(value))
		}
	}
	return values
}

var crlf, colonSpace = []byte("\r\n"), []byte(": ")

// ClientIP returns the client's IP as the Manager's Config.ClientIP finds
// it in a net/http view of the request: RemoteAddr is the connection's
// peer, as on net/http (fiber's ProxyHeader does not change it).
func (r *request) ClientIP() string {
	return r.mw.a.ClientIP(r.clientView())
}

// UserAgent returns the request's User-Agent header.
func (r *request) UserAgent() string {
	return r.clientView().UserAgent()
}

// clientView returns the copied request as a net/http request, parsed on
// first use; r.mu guards the parse against a Login on another goroutine.
func (r *request) clientView() *http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := &r.head
	if h.view != nil {
		return h.view
	}
	req := &http.Request{URL: new(url.URL), Header: http.Header{}, TLS: h.tls}
	if h.peer != nil {
		req.RemoteAddr = h.peer.String()
	}
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(h.lines[:len(h.lines):len(h.lines)], crlf...))))
	if line, err := tp.ReadLine(); err == nil {
		var rest string
		req.Method, rest, _ = strings.Cut(line, " ")
		req.RequestURI, req.Proto, _ = strings.Cut(rest, " ")
		req.ProtoMajor, req.ProtoMinor, _ = http.ParseHTTPVersion(req.Proto)
		if u, err := url.ParseRequestURI(req.RequestURI); err == nil {
			req.URL = u
		}
		if header, err := tp.ReadMIMEHeader(); err == nil || len(header) > 0 {
			req.Header = http.Header(header)
		}
	}
	// net/http keeps the Host header out of Header, in Host.
	req.Host = req.Header.Get("Host")
	req.Header.Del("Host")
	h.view = req
	return req
}
