package vishnuechov5_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
	vishnuechov5 "github.com/vishnu-go/vishnu/adapters/echov5"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// The error response the tests configure (Config.ErrorResponse).
const (
	errStatus = http.StatusServiceUnavailable
	errBody   = "the session is unavailable\n"
)

func errorResponse(context.Context, error) vishnu.ErrorResponse {
	return vishnu.ErrorResponse{
		Status: errStatus,
		Header: http.Header{"X-Session-Error": {"1"}, "Content-Type": {"text/plain; charset=utf-8"}},
		Body:   []byte(errBody),
	}
}

// newManager makes a Manager over store with AutoSave, for plain HTTP.
func newManager(t *testing.T, store vishnu.Store, edit func(*vishnu.Config)) *vishnu.Manager {
	t.Helper()
	cfg := vishnu.Config{
		Store:         store,
		Secret:        []byte(strings.Repeat("s", vishnu.MinSecretLen)),
		Cookie:        vishnu.CookieConfig{Insecure: true},
		AutoSave:      true,
		ErrorResponse: errorResponse,
		Logger:        slog.New(slog.DiscardHandler),
	}
	if edit != nil {
		edit(&cfg)
	}
	m, err := vishnu.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// cookieManager keeps the data in an encrypted cookie, where a value too
// large for a cookie makes the commit fail for real (ErrCookieTooLarge).
func cookieManager(t *testing.T, edit func(*vishnu.Config)) *vishnu.Manager {
	return newManager(t, vishnu.NewCookieStore(), func(c *vishnu.Config) {
		c.EncryptKey = []byte(strings.Repeat("k", vishnu.MinSecretLen))
		if edit != nil {
			edit(c)
		}
	})
}

// tooLarge is a value no session cookie can hold, even split over the
// cookie store's default 4 cookies.
var tooLarge = strings.Repeat("x", 20000)

// flush flushes c's response as echo v5 handlers do: c.Response() is an
// http.ResponseWriter, flushed through a ResponseController.
func flush(c *echo.Context) error { return http.NewResponseController(c.Response()).Flush() }

// pathRoute answers by one of echo's ways of responding, after setting the
// session's "via" to its name (and, with ?big=1, a value too large for a
// cookie) and a header of its own, X-Handler.
type pathRoute struct {
	name   string
	status int    // what the client gets when the session commits
	body   string // likewise; "" for any
	handle func(c *echo.Context) error
	// panics before anything went out. When the panic passes through the
	// session middleware (Recover around it), the session is not
	// committed, and the page echo renders for the recovered panic goes
	// out as it is, even when a commit would fail; Recover inside it makes
	// the panic an error like any other, which commits.
	panics bool
}

// sseBody is what the sse route sends, one event at a time.
const sseBody = "data: one\n\ndata: two\n\n"

var pathRoutes = []pathRoute{
	{"string", 200, "string", func(c *echo.Context) error { return c.String(200, "string") }, false},
	{"json", 200, "{\"via\":\"json\"}\n", func(c *echo.Context) error { return c.JSON(200, map[string]string{"via": "json"}) }, false},
	{"html", 200, "<p>html</p>", func(c *echo.Context) error { return c.HTML(200, "<p>html</p>") }, false},
	{"blob", 200, "blob", func(c *echo.Context) error { return c.Blob(200, "application/octet-stream", []byte("blob")) }, false},
	{"stream", 200, "stream", func(c *echo.Context) error {
		return c.Stream(200, "text/plain", strings.NewReader("stream"))
	}, false},
	{"sse", 200, sseBody, func(c *echo.Context) error {
		c.Response().Header().Set(echo.HeaderContentType, "text/event-stream")
		c.Response().Header().Set(echo.HeaderCacheControl, "no-cache")
		for _, data := range []string{"one", "two"} {
			if _, err := fmt.Fprintf(c.Response(), "data: %s\n\n", data); err != nil {
				return err
			}
			if err := flush(c); err != nil {
				return err
			}
		}
		return nil
	}, false},
	{"file", 200, "file", func(c *echo.Context) error {
		return c.File("testdata/f.txt") // http.ServeContent underneath
	}, false},
	{"nocontent", 204, "", func(c *echo.Context) error { return c.NoContent(204) }, false},
	{"redirect", 303, "", func(c *echo.Context) error { return c.Redirect(303, "/get") }, false},
	{"httperror", 418, "{\"message\":\"teapot\"}\n", func(c *echo.Context) error { return echo.NewHTTPError(418, "teapot") }, false},
	{"error", 500, "{\"message\":\"Internal Server Error\"}\n", func(c *echo.Context) error { return io.ErrUnexpectedEOF }, false},
	{"nothing", 200, "", func(c *echo.Context) error { return nil }, false},
	{"flush", 200, "flushed", func(c *echo.Context) error {
		// Before any write: sends the headers without echo's Before hooks.
		if err := flush(c); err != nil {
			return err
		}
		_, err := c.Response().Write([]byte("flushed"))
		return err
	}, false},
	{"panic", 500, "{\"message\":\"Internal Server Error\"}\n", func(c *echo.Context) error { panic("the handler panics") }, true},
	{"writepanic", 200, "written", func(c *echo.Context) error {
		_ = c.String(200, "written")
		panic("the handler panics after writing")
	}, false},
}

// pathApp serves pathRoutes, /hijack and /get (the session's "via") behind
// around, then an outer middleware that sets X-Outer, then the session
// middleware, then inside.
func pathApp(t *testing.T, m *vishnu.Manager, opts vishnuechov5.Options, around, inside []echo.MiddlewareFunc) string {
	e := quietEcho()
	e.Use(around...)
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			c.Response().Header().Set("X-Outer", "1")
			return next(c)
		}
	})
	e.Use(vishnuechov5.MiddlewareWithOptions(m, opts))
	e.Use(inside...)
	for _, rt := range pathRoutes {
		e.GET("/"+rt.name, func(c *echo.Context) error {
			s := vishnuechov5.Session(c)
			if err := s.Set("via", rt.name); err != nil {
				return err
			}
			if c.QueryParam("big") == "1" {
				if err := s.Set("pad", tooLarge); err != nil {
					return err
				}
			}
			c.Response().Header().Set("X-Handler", "1")
			return rt.handle(c)
		})
	}
	e.GET("/get", func(c *echo.Context) error {
		v, _ := vishnu.Get[string](vishnuechov5.Session(c), "via")
		return c.String(200, v)
	})
	e.GET("/hijack", hijackHandler)
	return startEcho(t, e)
}

type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &client{t: t, base: base, http: &http.Client{Jar: jar, Transport: tr, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (c *client) get(path string) answer { return c.do(http.MethodGet, path) }

func (c *client) do(method, path string) answer {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return answer{resp.StatusCode, resp.Header, string(b)}
}

// sessionCookie returns the session's Set-Cookie line of h, or "".
func sessionCookie(h http.Header, m *vishnu.Manager) string {
	for _, line := range h.Values("Set-Cookie") {
		if strings.HasPrefix(line, m.CookieName()+"=") {
			return line
		}
	}
	return ""
}

func stores(t *testing.T) map[string]func(edit func(*vishnu.Config)) *vishnu.Manager {
	return map[string]func(edit func(*vishnu.Config)) *vishnu.Manager{
		"MemoryStore": func(edit func(*vishnu.Config)) *vishnu.Manager {
			return newManager(t, vishnu.NewMemoryStore(), edit)
		},
		"CookieStore": func(edit func(*vishnu.Config)) *vishnu.Manager { return cookieManager(t, edit) },
	}
}

// TestPathsCommit checks every way an echo handler answers: the response
// is the handler's (or, for a returned error or a panic, the page echo
// renders for it), it carries the session cookie, and the next request sees
// the change.
func TestPathsCommit(t *testing.T) {
	for storeName, mk := range stores(t) {
		for _, o := range pathOrders {
			t.Run(storeName+"/"+o.name, func(t *testing.T) {
				m := mk(nil)
				around, inside := o.middleware()
				base := pathApp(t, m, vishnuechov5.Options{}, around, inside)
				for _, rt := range pathRoutes {
					t.Run(rt.name, func(t *testing.T) {
						c := newClient(t, base)
						a := c.get("/" + rt.name)
						if a.status != rt.status || (rt.body != "" && a.body != rt.body) {
							t.Errorf("got %d %q, want %d %q", a.status, a.body, rt.status, rt.body)
						}
						want := rt.name
						if rt.panics && !o.recoverInside() {
							want = ""
							if line := sessionCookie(a.header, m); line != "" {
								t.Errorf("a panic before anything went out committed the session: %s", line)
							}
						} else if sessionCookie(a.header, m) == "" {
							t.Errorf("the response carries no session cookie (Set-Cookie: %q)", a.header.Values("Set-Cookie"))
						}
						if got := c.get("/get").body; got != want {
							t.Errorf("the next request sees via=%q, want %q", got, want)
						}
					})
				}
			})
		}
	}
}

// quietRecover is middleware.Recover without the stack in the error.
func quietRecover() echo.MiddlewareFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{DisablePrintStack: true})
}

// wantErrorResponse checks that a is the configured error response, whole,
// without the handler's headers but with the outer middleware's.
func wantErrorResponse(t *testing.T, a answer, m *vishnu.Manager) {
	t.Helper()
	if a.status != errStatus || a.body != errBody || a.header.Get("X-Session-Error") != "1" {
		t.Errorf("got %d %q (X-Session-Error %q), want the configured error response %d %q",
			a.status, a.body, a.header.Get("X-Session-Error"), errStatus, errBody)
	}
	if a.header.Get("X-Handler") != "" || a.header.Get("Content-Encoding") != "" || a.header.Get("Location") != "" {
		t.Errorf("the error response carries the handler's headers: %v", a.header)
	}
	if a.header.Get("X-Outer") != "1" {
		t.Errorf("the error response lost the header set by middleware outside the session's: %v", a.header)
	}
	if a.header.Get("Cache-Control") != "no-store" {
		t.Errorf("the error response has Cache-Control %q, want no-store", a.header.Get("Cache-Control"))
	}
	if line := sessionCookie(a.header, m); line != "" {
		t.Errorf("the error response sets the session cookie: %s", line)
	}
}

// pathOrder is a middleware set-up the path tests run under: Recover
// around or inside the session middleware, alone or with the middleware
// that wrap c.Response().
type pathOrder struct {
	name           string
	around, inside func() []echo.MiddlewareFunc
}

// recoverInside reports whether Recover is inside the session middleware.
func (o pathOrder) recoverInside() bool { return o.inside != nil }

// opaqueWriter is middleware that wraps c.Response() in a writer that
// flushes but does not unwrap to echo's Response, as echo asks of such
// writers and a careless one does not.
func opaqueWriter(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		c.SetResponse(opaque{c.Response()})
		return next(c)
	}
}

type opaque struct{ http.ResponseWriter }

func (o opaque) Flush() { _ = http.NewResponseController(o.ResponseWriter).Flush() }

var pathOrders = []pathOrder{
	{"RecoverAround", func() []echo.MiddlewareFunc { return []echo.MiddlewareFunc{quietRecover()} }, nil},
	{"RecoverInside", nil, func() []echo.MiddlewareFunc { return []echo.MiddlewareFunc{quietRecover()} }},
	{"GzipAround", func() []echo.MiddlewareFunc { return []echo.MiddlewareFunc{quietRecover(), middleware.Gzip()} }, nil},
	{"GzipInside", nil, func() []echo.MiddlewareFunc { return []echo.MiddlewareFunc{quietRecover(), middleware.Gzip()} }},
	{"BodyDumpInside", nil, func() []echo.MiddlewareFunc {
		return []echo.MiddlewareFunc{quietRecover(), middleware.BodyDump(func(*echo.Context, []byte, []byte, error) {})}
	}},
	{"OpaqueWriterAround", func() []echo.MiddlewareFunc { return []echo.MiddlewareFunc{quietRecover(), opaqueWriter} }, nil},
}

func (o pathOrder) middleware() (around, inside []echo.MiddlewareFunc) {
	if o.around != nil {
		around = o.around()
	}
	if o.inside != nil {
		inside = o.inside()
	}
	return around, inside
}

// TestPathsFailure makes the commit fail on every path (the session's data
// is too large for its cookie): the client gets the configured error
// response, whole, and nothing of the handler's.
func TestPathsFailure(t *testing.T) {
	for _, o := range pathOrders {
		t.Run(o.name, func(t *testing.T) {
			m := cookieManager(t, nil)
			around, inside := o.middleware()
			base := pathApp(t, m, vishnuechov5.Options{}, around, inside)
			for _, rt := range pathRoutes {
				t.Run(rt.name, func(t *testing.T) {
					a := newClient(t, base).get("/" + rt.name + "?big=1")
					if !rt.panics || o.recoverInside() {
						wantErrorResponse(t, a, m)
						return
					}
					if a.status != rt.status || a.body != rt.body || sessionCookie(a.header, m) != "" {
						t.Errorf("got %d %q, Set-Cookie %q; want the recovered panic's page, uncommitted", a.status, a.body, a.header.Values("Set-Cookie"))
					}
				})
			}
		})
	}
}

// TestHead: with echo's AutoHandleHEAD, a HEAD request runs the GET
// handler through echo's own writer, which holds the status back until the
// handler returns; the session commits before it goes out.
func TestHead(t *testing.T) {
	m := newManager(t, vishnu.NewMemoryStore(), nil)
	e := echo.NewWithConfig(echo.Config{
		Logger: slog.New(slog.DiscardHandler),
		Router: echo.NewRouter(echo.RouterConfig{AutoHandleHEAD: true}),
	})
	e.Use(vishnuechov5.Middleware(m))
	e.GET("/", func(c *echo.Context) error {
		if err := vishnuechov5.Session(c).Set("via", "head"); err != nil {
			return err
		}
		return c.String(http.StatusOK, "the body HEAD does not send")
	})
	e.GET("/get", func(c *echo.Context) error {
		v, _ := vishnu.Get[string](vishnuechov5.Session(c), "via")
		return c.String(200, v)
	})
	c := newClient(t, startEcho(t, e))
	a := c.do(http.MethodHead, "/")
	if a.status != http.StatusOK || a.body != "" || sessionCookie(a.header, m) == "" {
		t.Errorf("HEAD: %d %q, Set-Cookie %q; want 200, no body, the session cookie", a.status, a.body, a.header.Values("Set-Cookie"))
	}
	if got := c.get("/get").body; got != "head" {
		t.Errorf("after HEAD the session holds via=%q, want head", got)
	}
}

// hijackHandler takes over the connection as a websocket library does: it
// sets the handshake's headers on the response, hijacks, writes the 101
// response with the response's headers (the session cookie among them),
// then echoes one line.
func hijackHandler(c *echo.Context) error {
	s := vishnuechov5.Session(c)
	if err := s.Set("via", "hijack"); err != nil {
		return err
	}
	if c.QueryParam("big") == "1" {
		if err := s.Set("pad", tooLarge); err != nil {
			return err
		}
	}
	h := c.Response().Header()
	h.Set("Upgrade", "echo-test")
	h.Set("Connection", "Upgrade")
	conn, rw, err := http.NewResponseController(c.Response()).Hijack()
	if err != nil {
		return err
	}
	defer conn.Close()
	rw.WriteString("HTTP/1.1 101 Switching Protocols\r\n")
	h.Write(rw)
	rw.WriteString("\r\n")
	if err := rw.Flush(); err != nil {
		return err
	}
	line, err := rw.ReadString('\n')
	if err != nil {
		return err
	}
	rw.WriteString("echo: " + line)
	return rw.Flush()
}

// upgrade sends an upgrade request for path on a raw connection and returns
// the response and the connection.
func upgrade(t *testing.T, base, path string) (*http.Response, *bufio.Reader, net.Conn) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "echo-test")
	if err := req.Write(conn); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		t.Fatal(err)
	}
	return resp, br, conn
}

// TestHijack checks a websocket-style hijack: the handshake carries the
// session cookie, and the session holds the change.
func TestHijack(t *testing.T) {
	for storeName, mk := range stores(t) {
		t.Run(storeName, func(t *testing.T) {
			m := mk(nil)
			base := pathApp(t, m, vishnuechov5.Options{}, nil, nil)
			resp, br, conn := upgrade(t, base, "/hijack")
			if resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("status %d, want 101", resp.StatusCode)
			}
			line := sessionCookie(resp.Header, m)
			if line == "" {
				t.Fatalf("the handshake carries no session cookie: %v", resp.Header)
			}
			if _, err := conn.Write([]byte("ping\n")); err != nil {
				t.Fatal(err)
			}
			if got, err := br.ReadString('\n'); err != nil || got != "echo: ping\n" {
				t.Fatalf("over the hijacked connection: %q, %v", got, err)
			}
			cookie, err := http.ParseSetCookie(line)
			if err != nil {
				t.Fatal(err)
			}
			c := newClient(t, base)
			req, _ := http.NewRequest(http.MethodGet, base+"/get", nil)
			req.AddCookie(cookie)
			r, err := c.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Body.Close()
			if b, _ := io.ReadAll(r.Body); string(b) != "hijack" {
				t.Errorf("the next request sees via=%q, want hijack", b)
			}
		})
	}
	t.Run("Failure", func(t *testing.T) {
		m := cookieManager(t, nil)
		base := pathApp(t, m, vishnuechov5.Options{}, nil, nil)
		resp, _, _ := upgrade(t, base, "/hijack?big=1")
		b, _ := io.ReadAll(resp.Body)
		wantErrorResponse(t, answer{resp.StatusCode, resp.Header, string(b)}, m)
	})
}

// TestEarlyHints: a 103 Early Hints response goes out before the real
// headers without committing the session: it carries no session cookie,
// and the handler can still start a session after it.
func TestEarlyHints(t *testing.T) {
	m := newManager(t, vishnu.NewMemoryStore(), nil)
	e := quietEcho()
	e.Use(vishnuechov5.Middleware(m))
	e.GET("/hints", func(c *echo.Context) error {
		c.Response().Header().Set("Link", "</style.css>; rel=preload; as=style")
		c.Response().WriteHeader(http.StatusEarlyHints)
		if err := vishnuechov5.Session(c).Set("via", "hints"); err != nil {
			return err
		}
		return c.String(http.StatusOK, "after the hints")
	})
	e.GET("/get", func(c *echo.Context) error {
		v, _ := vishnu.Get[string](vishnuechov5.Session(c), "via")
		return c.String(http.StatusOK, v)
	})
	c := newClient(t, startEcho(t, e))
	var hints []http.Header
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		if code == http.StatusEarlyHints {
			hints = append(hints, http.Header(h))
		}
		return nil
	}}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, c.base+"/hints", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(hints) != 1 || hints[0].Get("Link") == "" || sessionCookie(hints[0], m) != "" {
		t.Errorf("early hints %v: want one 103 with Link and no session cookie", hints)
	}
	if resp.StatusCode != http.StatusOK || string(body) != "after the hints" || sessionCookie(resp.Header, m) == "" {
		t.Errorf("got %d %q, Set-Cookie %q; want 200 with the session cookie", resp.StatusCode, body, resp.Header.Values("Set-Cookie"))
	}
	if got := c.get("/get").body; got != "hints" {
		t.Errorf("the next request sees via=%q, want hints", got)
	}
}
