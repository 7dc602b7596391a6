package vishnuechov5_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
	vishnuechov5 "github.com/vishnu-go/vishnu/adapters/echov5"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// committed reports whether echo's Response under c has gone out, as an
// echo v5 HTTPErrorHandler asks.
func committed(c *echo.Context) bool {
	r, _ := echo.UnwrapResponse(c.Response())
	return r != nil && r.Committed
}

// TestErrorHandler: an Options.ErrorHandler that returns an error has the
// failure rendered by echo's HTTPErrorHandler (here a custom one), on a
// clean response: none of the handler's headers, the outer middleware's
// kept, no-store, and no session cookie.
func TestErrorHandler(t *testing.T) {
	m := cookieManager(t, nil)
	var got []error
	opts := vishnuechov5.Options{ErrorHandler: func(c *echo.Context, err error) error {
		got = append(got, err)
		return echo.NewHTTPError(http.StatusServiceUnavailable, "session down").Wrap(err)
	}}
	e := quietEcho()
	e.HTTPErrorHandler = func(c *echo.Context, err error) {
		if committed(c) {
			return
		}
		code, msg := http.StatusInternalServerError, "?"
		if he, ok := errors.AsType[*echo.HTTPError](err); ok {
			code, msg = he.Code, he.Message
		}
		_ = c.HTML(code, "<h1>"+msg+"</h1>")
	}
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			c.Response().Header().Set("X-Outer", "1")
			return next(c)
		}
	})
	e.Use(vishnuechov5.MiddlewareWithOptions(m, opts), quietRecover())
	for _, rt := range pathRoutes {
		e.GET("/"+rt.name, func(c *echo.Context) error {
			s := vishnuechov5.Session(c)
			if err := s.Set("pad", tooLarge); err != nil {
				return err
			}
			c.Response().Header().Set("X-Handler", "1")
			return rt.handle(c)
		})
	}
	base := startEcho(t, e)
	for _, rt := range pathRoutes {
		t.Run(rt.name, func(t *testing.T) {
			got = got[:0]
			a := newClient(t, base).get("/" + rt.name)
			if a.status != http.StatusServiceUnavailable || a.body != "<h1>session down</h1>" {
				t.Errorf("got %d %q, want echo's HTTPErrorHandler's page for the ErrorHandler's error", a.status, a.body)
			}
			if a.header.Get("X-Handler") != "" || a.header.Get("X-Outer") != "1" || a.header.Get("Cache-Control") != "no-store" {
				t.Errorf("headers %v: want X-Outer, Cache-Control: no-store and none of the handler's", a.header)
			}
			if line := sessionCookie(a.header, m); line != "" {
				t.Errorf("the error page sets the session cookie: %s", line)
			}
			if len(got) != 1 || !errors.Is(got[0], vishnu.ErrCookieTooLarge) {
				t.Errorf("ErrorHandler got %v, want one call with ErrCookieTooLarge", got)
			}
		})
	}
}

// TestErrorPageSessionCommitted: the session is committed before the
// handler's error goes on to echo's HTTPErrorHandler, so the error page
// carries the cookie, and a change that would need a new cookie, made by
// the error handler, fails with ErrHeadersWritten.
func TestErrorPageSessionCommitted(t *testing.T) {
	m := newManager(t, vishnu.NewMemoryStore(), nil)
	var late error
	e := quietEcho()
	render := echo.DefaultHTTPErrorHandler(false)
	e.HTTPErrorHandler = func(c *echo.Context, err error) {
		late = vishnuechov5.Session(c).Regenerate()
		render(c, err)
	}
	e.Use(vishnuechov5.Middleware(m))
	e.GET("/fail", func(c *echo.Context) error {
		if err := vishnuechov5.Session(c).Set("user", "ada"); err != nil {
			return err
		}
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "no")
	})
	a := newClient(t, startEcho(t, e)).get("/fail")
	if a.status != http.StatusUnprocessableEntity || sessionCookie(a.header, m) == "" {
		t.Errorf("got %d, Set-Cookie %q; want 422 with the session cookie", a.status, a.header.Values("Set-Cookie"))
	}
	if !errors.Is(late, vishnu.ErrHeadersWritten) {
		t.Errorf("Regenerate in the HTTPErrorHandler returned %v, want ErrHeadersWritten", late)
	}
}

// TestChangeAfterHeaders: once the handler has written, a change that
// needs a new cookie fails with ErrHeadersWritten, which the handler sees,
// and one that needs none is still saved when the request ends.
func TestChangeAfterHeaders(t *testing.T) {
	m := newManager(t, vishnu.NewMemoryStore(), nil)
	late := make(chan error, 1)
	e := quietEcho()
	e.Use(vishnuechov5.Middleware(m))
	e.GET("/write", func(c *echo.Context) error {
		s := vishnuechov5.Session(c)
		if err := s.Set("via", "before"); err != nil {
			return err
		}
		if err := c.String(http.StatusOK, "written"); err != nil {
			return err
		}
		late <- s.Regenerate()
		return s.Set("via", "after")
	})
	e.GET("/get", func(c *echo.Context) error {
		v, _ := vishnu.Get[string](vishnuechov5.Session(c), "via")
		return c.String(http.StatusOK, v)
	})
	c := newClient(t, startEcho(t, e))
	if a := c.get("/write"); a.status != http.StatusOK || sessionCookie(a.header, m) == "" {
		t.Fatalf("got %d, Set-Cookie %q; want 200 with the session cookie", a.status, a.header.Values("Set-Cookie"))
	}
	if err := <-late; !errors.Is(err, vishnu.ErrHeadersWritten) {
		t.Errorf("Regenerate after the write returned %v, want ErrHeadersWritten", err)
	}
	if got := c.get("/get").body; got != "after" {
		t.Errorf("the next request sees via=%q, want after (saved when the request ended)", got)
	}
}

// TestSkipperAndMissingMiddleware: a skipped request, or one without the
// middleware, has no session: Session returns nil, whose methods fail with
// ErrNoSession instead of panicking, and no cookie is set.
func TestSkipperAndMissingMiddleware(t *testing.T) {
	m := newManager(t, vishnu.NewMemoryStore(), nil)
	e := quietEcho()
	e.Use(vishnuechov5.MiddlewareWithOptions(m, vishnuechov5.Options{
		Skipper: func(c *echo.Context) bool { return strings.HasPrefix(c.Path(), "/static") },
	}))
	use := func(c *echo.Context) error {
		s := vishnuechov5.Session(c)
		if s != nil || vishnuechov5.SessionOf(c, m) != nil {
			return c.String(http.StatusInternalServerError, "a session where none should be")
		}
		if err := s.Set("k", "v"); !errors.Is(err, vishnu.ErrNoSession) {
			return c.String(http.StatusInternalServerError, "Set on no session: "+err.Error())
		}
		return c.String(http.StatusOK, "none")
	}
	e.GET("/static/x", use)
	a := newClient(t, startEcho(t, e)).get("/static/x")
	if a.status != http.StatusOK || a.body != "none" || len(a.header.Values("Set-Cookie")) != 0 {
		t.Errorf("skipped request: %d %q, Set-Cookie %q", a.status, a.body, a.header.Values("Set-Cookie"))
	}

	bare := quietEcho()
	bare.GET("/", use)
	if a := newClient(t, startEcho(t, bare)).get("/"); a.status != http.StatusOK || a.body != "none" {
		t.Errorf("no middleware: %d %q", a.status, a.body)
	}
	if vishnuechov5.Session(nil) != nil || vishnuechov5.SessionOf(nil, m) != nil {
		t.Error("Session(nil) is not nil")
	}
}

// TestTwoManagers: two session middlewares side by side, each reached with
// SessionOf, each with its own cookie.
func TestTwoManagers(t *testing.T) {
	a := newManager(t, vishnu.NewMemoryStore(), func(c *vishnu.Config) { c.Cookie.Name = "a" })
	b := newManager(t, vishnu.NewMemoryStore(), func(c *vishnu.Config) { c.Cookie.Name = "b" })
	e := quietEcho()
	e.Use(vishnuechov5.Middleware(a), vishnuechov5.Middleware(b))
	e.GET("/set", func(c *echo.Context) error {
		if vishnuechov5.Session(c) != vishnuechov5.SessionOf(c, b) {
			return c.String(http.StatusInternalServerError, "Session is not the innermost manager's")
		}
		if err := vishnuechov5.SessionOf(c, a).Set("k", "from a"); err != nil {
			return err
		}
		if err := vishnuechov5.SessionOf(c, b).Set("k", "from b"); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})
	e.GET("/get", func(c *echo.Context) error {
		x, _ := vishnu.Get[string](vishnuechov5.SessionOf(c, a), "k")
		y, _ := vishnu.Get[string](vishnuechov5.SessionOf(c, b), "k")
		return c.String(http.StatusOK, x+","+y)
	})
	cl := newClient(t, startEcho(t, e))
	r := cl.get("/set")
	if r.status != http.StatusNoContent || sessionCookie(r.header, a) == "" || sessionCookie(r.header, b) == "" {
		t.Fatalf("got %d, Set-Cookie %q; want 204 and both cookies", r.status, r.header.Values("Set-Cookie"))
	}
	if got := cl.get("/get").body; got != "from a,from b" {
		t.Errorf("got %q", got)
	}
}

// TestNilManager: a nil Manager is a set-up mistake, reported where the
// middleware is made (with the function's name), never at request time.
func TestNilManager(t *testing.T) {
	for name, make := range map[string]func(){
		"Middleware":            func() { vishnuechov5.Middleware(nil) },
		"MiddlewareWithOptions": func() { vishnuechov5.MiddlewareWithOptions(nil, vishnuechov5.Options{}) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.HasPrefix(msg, "vishnuechov5: Middleware") || !strings.Contains(msg, "nil *vishnu.Manager") {
					t.Errorf("%s(nil) panicked with %q; want a panic naming vishnuechov5.Middleware and the nil Manager", name, msg)
				}
			}()
			make()
		})
	}
}

// TestErrorResponseLogged: the default error response is written through
// echo's Response, so a request logger around the session middleware logs
// the status that went out, not the handler's.
func TestErrorResponseLogged(t *testing.T) {
	m := cookieManager(t, nil)
	logged := make(chan int, 1)
	e := quietEcho()
	e.Use(middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true,
		LogValuesFunc: func(c *echo.Context, v middleware.RequestLoggerValues) error {
			logged <- v.Status
			return nil
		},
	}), vishnuechov5.Middleware(m))
	e.GET("/", func(c *echo.Context) error {
		if err := vishnuechov5.Session(c).Set("pad", tooLarge); err != nil {
			return err
		}
		return c.String(http.StatusOK, "the handler's page")
	})
	a := newClient(t, startEcho(t, e)).get("/")
	if a.status != errStatus || a.body != errBody {
		t.Fatalf("got %d %q, want the configured error response", a.status, a.body)
	}
	if got := <-logged; got != errStatus {
		t.Errorf("RequestLogger logged status %d, want %d, the one that went out", got, errStatus)
	}
}
