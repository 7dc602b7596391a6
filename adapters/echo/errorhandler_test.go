package vishnuecho_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	vishnuecho "github.com/vishnu-go/vishnu/adapters/echo"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// TestErrorHandler: an Options.ErrorHandler that returns an error has the
// failure rendered by echo's HTTPErrorHandler (here a custom one), on a
// clean response: none of the handler's headers, the outer middleware's
// kept, no-store, and no session cookie.
func TestErrorHandler(t *testing.T) {
	m := cookieManager(t, nil)
	var got []error
	opts := vishnuecho.Options{ErrorHandler: func(c echo.Context, err error) error {
		got = append(got, err)
		return echo.NewHTTPError(http.StatusServiceUnavailable, "session down").SetInternal(err)
	}}
	e := echo.New()
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		var he *echo.HTTPError
		if !errors.As(err, &he) {
			he = echo.NewHTTPError(http.StatusInternalServerError)
		}
		_ = c.HTML(he.Code, "<h1>"+he.Message.(string)+"</h1>")
	}
	base := func() string {
		e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				c.Response().Header().Set("X-Outer", "1")
				return next(c)
			}
		})
		e.Use(vishnuecho.MiddlewareWithOptions(m, opts), quietRecover())
		for _, rt := range pathRoutes {
			e.GET("/"+rt.name, func(c echo.Context) error {
				s := vishnuecho.Session(c)
				if err := s.Set("pad", tooLarge); err != nil {
					return err
				}
				c.Response().Header().Set("X-Handler", "1")
				return rt.handle(c)
			})
		}
		return startEcho(t, e)
	}()
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
	e := echo.New()
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		late = vishnuecho.Session(c).Regenerate()
		e.DefaultHTTPErrorHandler(err, c)
	}
	e.Use(vishnuecho.Middleware(m))
	e.GET("/fail", func(c echo.Context) error {
		if err := vishnuecho.Session(c).Set("user", "ada"); err != nil {
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

// TestSkipperAndMissingMiddleware: a skipped request, or one without the
// middleware, has no session: Session returns nil, whose methods fail with
// ErrNoSession instead of panicking, and no cookie is set.
func TestSkipperAndMissingMiddleware(t *testing.T) {
	m := newManager(t, vishnu.NewMemoryStore(), nil)
	e := echo.New()
	e.Use(vishnuecho.MiddlewareWithOptions(m, vishnuecho.Options{
		Skipper: func(c echo.Context) bool { return strings.HasPrefix(c.Path(), "/static") },
	}))
	use := func(c echo.Context) error {
		s := vishnuecho.Session(c)
		if s != nil || vishnuecho.SessionOf(c, m) != nil {
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

	bare := echo.New()
	bare.GET("/", use)
	if a := newClient(t, startEcho(t, bare)).get("/"); a.status != http.StatusOK || a.body != "none" {
		t.Errorf("no middleware: %d %q", a.status, a.body)
	}
	if vishnuecho.Session(nil) != nil || vishnuecho.SessionOf(nil, m) != nil {
		t.Error("Session(nil) is not nil")
	}
}

// TestTwoManagers: two session middlewares side by side, each reached with
// SessionOf, each with its own cookie.
func TestTwoManagers(t *testing.T) {
	a := newManager(t, vishnu.NewMemoryStore(), func(c *vishnu.Config) { c.Cookie.Name = "a" })
	b := newManager(t, vishnu.NewMemoryStore(), func(c *vishnu.Config) { c.Cookie.Name = "b" })
	e := echo.New()
	e.Use(vishnuecho.Middleware(a), vishnuecho.Middleware(b))
	e.GET("/set", func(c echo.Context) error {
		if vishnuecho.Session(c) != vishnuecho.SessionOf(c, b) {
			return c.String(http.StatusInternalServerError, "Session is not the innermost manager's")
		}
		if err := vishnuecho.SessionOf(c, a).Set("k", "from a"); err != nil {
			return err
		}
		if err := vishnuecho.SessionOf(c, b).Set("k", "from b"); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})
	e.GET("/get", func(c echo.Context) error {
		x, _ := vishnu.Get[string](vishnuecho.SessionOf(c, a), "k")
		y, _ := vishnu.Get[string](vishnuecho.SessionOf(c, b), "k")
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
		"Middleware":            func() { vishnuecho.Middleware(nil) },
		"MiddlewareWithOptions": func() { vishnuecho.MiddlewareWithOptions(nil, vishnuecho.Options{}) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.HasPrefix(msg, "vishnuecho: Middleware") || !strings.Contains(msg, "nil *vishnu.Manager") {
					t.Errorf("%s(nil) panicked with %q; want a panic naming vishnuecho.Middleware and the nil Manager", name, msg)
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
	e := echo.New()
	e.Use(middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			logged <- v.Status
			return nil
		},
	}), vishnuecho.Middleware(m))
	e.GET("/", func(c echo.Context) error {
		if err := vishnuecho.Session(c).Set("pad", tooLarge); err != nil {
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
