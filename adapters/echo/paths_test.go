package vishnuecho_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	vishnuecho "github.com/vishnu-go/vishnu/adapters/echo"
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

// pathRoute answers by one of echo's ways of responding, after setting the
// session's "via" to its name (and, with ?big=1, a value too large for a
// cookie) and a header of its own, X-Handler.
type pathRoute struct {
	name   string
	status int    // what the client gets when the session commits
	body   string // likewise; "" for any
	handle func(c echo.Context) error
	// panics before anything went out. When the panic passes through the
	// session middleware (Recover around it), the session is not
	// committed, and Recover's page goes out as it is, even when a commit
	// would fail; Recover inside it makes the panic an error page like
	// any other, which commits.
	panics bool
}

var pathRoutes = []pathRoute{
	{"string", 200, "string", func(c echo.Context) error { return c.String(200, "string") }, false},
	{"json", 200, "{\"via\":\"json\"}\n", func(c echo.Context) error { return c.JSON(200, map[string]string{"via": "json"}) }, false},
	{"html", 200, "<p>html</p>", func(c echo.Context) error { return c.HTML(200, "<p>html</p>") }, false},
	{"blob", 200, "blob", func(c echo.Context) error { return c.Blob(200, "application/octet-stream", []byte("blob")) }, false},
	{"stream", 200, "stream", func(c echo.Context) error {
		return c.Stream(200, "text/plain", strings.NewReader("stream"))
	}, false},
	{"file", 200, "file", func(c echo.Context) error {
		return c.File("testdata/f.txt") // http.ServeContent underneath
	}, false},
	{"nocontent", 204, "", func(c echo.Context) error { return c.NoContent(204) }, false},
	{"redirect", 303, "", func(c echo.Context) error { return c.Redirect(303, "/get") }, false},
	{"httperror", 418, "{\"message\":\"teapot\"}\n", func(c echo.Context) error { return echo.NewHTTPError(418, "teapot") }, false},
	{"nothing", 200, "", func(c echo.Context) error { return nil }, false},
	{"flush", 200, "flushed", func(c echo.Context) error {
		c.Response().Flush() // before any write: sends the headers without echo's Before hooks
		_, err := c.Response().Write([]byte("flushed"))
		return err
	}, false},
	{"panic", 500, "{\"message\":\"Internal Server Error\"}\n", func(c echo.Context) error { panic("the handler panics") }, true},
	{"writepanic", 200, "written", func(c echo.Context) error {
		_ = c.String(200, "written")
		panic("the handler panics after writing")
	}, false},
}

// pathApp serves pathRoutes and /get (the session's "via") behind an outer
// middleware that sets X-Outer, then the session middleware; mw is used
// around (before) the outer one.
func pathApp(t *testing.T, m *vishnu.Manager, opts vishnuecho.Options, around, inside []echo.MiddlewareFunc) string {
	e := echo.New()
	e.Use(around...)
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Response().Header().Set("X-Outer", "1")
			return next(c)
		}
	})
	e.Use(vishnuecho.MiddlewareWithOptions(m, opts))
	e.Use(inside...)
	for _, rt := range pathRoutes {
		e.GET("/"+rt.name, func(c echo.Context) error {
			s := vishnuecho.Session(c)
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
	e.GET("/get", func(c echo.Context) error {
		v, _ := vishnu.Get[string](vishnuecho.Session(c), "via")
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

func (c *client) get(path string) answer {
	c.t.Helper()
	resp, err := c.http.Get(c.base + path)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("GET %s: reading the body: %v", path, err)
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
				base := pathApp(t, m, vishnuecho.Options{}, around, inside)
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

// quietRecover is middleware.Recover without the stack in the test log.
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

// pathOrders are the middleware set-ups the path tests run under: Recover
// around or inside the session middleware, alone or with the middleware
// that wrap the response writer.
type pathOrder struct {
	name           string
	around, inside func() []echo.MiddlewareFunc
}

// recoverInside reports whether Recover is inside the session middleware.
func (o pathOrder) recoverInside() bool { return o.inside != nil }

var pathOrders = []pathOrder{
	{"RecoverAround", func() []echo.MiddlewareFunc { return []echo.MiddlewareFunc{quietRecover()} }, nil},
	{"RecoverInside", nil, func() []echo.MiddlewareFunc { return []echo.MiddlewareFunc{quietRecover()} }},
	{"GzipAround", func() []echo.MiddlewareFunc { return []echo.MiddlewareFunc{quietRecover(), middleware.Gzip()} }, nil},
	{"GzipInside", nil, func() []echo.MiddlewareFunc { return []echo.MiddlewareFunc{quietRecover(), middleware.Gzip()} }},
	{"BodyDumpInside", nil, func() []echo.MiddlewareFunc {
		return []echo.MiddlewareFunc{quietRecover(), middleware.BodyDump(func(echo.Context, []byte, []byte) {})}
	}},
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
			base := pathApp(t, m, vishnuecho.Options{}, around, inside)
			for _, rt := range pathRoutes {
				t.Run(rt.name, func(t *testing.T) {
					a := newClient(t, base).get("/" + rt.name + "?big=1")
					if !rt.panics || o.recoverInside() {
						wantErrorResponse(t, a, m)
						return
					}
					if a.status != rt.status || a.body != rt.body || sessionCookie(a.header, m) != "" {
						t.Errorf("got %d %q, Set-Cookie %q; want Recover's page, uncommitted", a.status, a.body, a.header.Values("Set-Cookie"))
					}
				})
			}
		})
	}
}

// hijackHandler takes over the connection as a websocket library does: it
// sets the handshake's headers on the response, hijacks, writes the 101
// response with the response's headers (the session cookie among them),
// then echoes one line.
func hijackHandler(c echo.Context) error {
	s := vishnuecho.Session(c)
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
	conn, rw, err := c.Response().Hijack()
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
			base := pathApp(t, m, vishnuecho.Options{}, nil, nil)
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
		base := pathApp(t, m, vishnuecho.Options{}, nil, nil)
		resp, _, _ := upgrade(t, base, "/hijack?big=1")
		b, _ := io.ReadAll(resp.Body)
		wantErrorResponse(t, answer{resp.StatusCode, resp.Header, string(b)}, m)
	})
}
