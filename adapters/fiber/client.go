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

// client is what Login records of the request's client (see
// vishnu.ClientReporter), copied out of fasthttp's request when the
// session is made, on the handler's goroutine: Login may run on another
// goroutine, or after the handler has returned, where fasthttp's request
// header may be changing or already reused. Config.ClientIP may read any
// header (the one its proxy sets), so the copy is the request line and
// every header line but the cookies, in one allocation; it is parsed only
// when Login asks.
type client struct {
	peer net.Addr             // the connection's peer (immutable)
	tls  *tls.ConnectionState // nil over plain HTTP
	head []byte               // "METHOD URI PROTO\r\n" and the header lines, then "\r\n"

	view *http.Request // head as a net/http request, parsed on first use
}

var _ vishnu.ClientReporter = (*request)(nil)

// copyClient fills r.client from fasthttp's request.
func (r *request) copyClient() {
	ctx := r.ctx
	r.client.peer = ctx.RemoteAddr()
	if ctx.IsTLS() {
		r.client.tls = ctx.TLSConnectionState()
	}
	h := &ctx.Request.Header
	n := len(h.Method()) + len(h.RequestURI()) + len(h.Protocol()) + 6
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
	r.client.head = append(b, "\r\n"...)
}

// ClientIP returns the client's IP as the Manager's Config.ClientIP finds
// it in a net/http view of the request: RemoteAddr is the connection's
// peer, as on net/http (fiber's ProxyHeader does not change it).
func (r *request) ClientIP() string {
	return r.mw.m.ClientIP(r.clientView())
}

// UserAgent returns the request's User-Agent header.
func (r *request) UserAgent() string {
	return r.clientView().UserAgent()
}

// clientView returns the net/http view of the request that copyClient
// copied, parsed on first use. Login asks from one goroutine at a time
// only if the application does: r.mu guards the parse.
func (r *request) clientView() *http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := &r.client
	if c.view != nil {
		return c.view
	}
	req := &http.Request{URL: new(url.URL), Header: http.Header{}, TLS: c.tls}
	if c.peer != nil {
		req.RemoteAddr = c.peer.String()
	}
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(c.head)))
	line, err := tp.ReadLine()
	if err == nil {
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
	c.view = req
	return req
}
