package vishnuecho_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	vishnuecho "github.com/vishnu-go/vishnu/adapters/echo"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// timeoutApp serves /set, /slow, which sets the session's "via" to the query's
// v, waits for the request's context to end and returns its error (as a
// handler using context-aware calls does), /late, which waits past the
// timeout, then sets "via" and writes, and /get.
func timeoutApp(t *testing.T, m *vishnu.Manager, use func(e *echo.Echo, session echo.MiddlewareFunc)) string {
	e := echo.New()
	use(e, vishnuecho.Middleware(m))
	e.GET("/slow", func(c echo.Context) error {
		if err := vishnuecho.Session(c).Set("via", c.QueryParam("v")); err != nil {
			return err
		}
		<-c.Request().Context().Done()
		return c.Request().Context().Err()
	})
	e.GET("/late", func(c echo.Context) error {
		s := vishnuecho.Session(c)
		s.Has("via")                       // loaded before the timeout
		time.Sleep(200 * time.Millisecond) // well past it
		err := s.Set("via", c.QueryParam("v"))
		if err == nil {
			err = c.String(http.StatusOK, "too late")
		}
		c.Set("late", err)
		return err
	})
	e.GET("/set", func(c echo.Context) error {
		if err := vishnuecho.Session(c).Set("via", c.QueryParam("v")); err != nil {
			return err
		}
		return c.String(http.StatusOK, "set")
	})
	e.GET("/get", func(c echo.Context) error {
		v, _ := vishnu.Get[string](vishnuecho.Session(c), "via")
		return c.String(http.StatusOK, v)
	})
	return startEcho(t, e)
}

// TestContextTimeout: ContextTimeout inside the session middleware bounds
// the handler: a request that times out gets echo's 503, carrying the
// session cookie, and its change is kept. Around it, the deadline bounds the
// session's store calls too, so a request that times out cannot commit: it
// gets the configured error response, and its change is not saved (an
// error, not a silent loss).
func TestContextTimeout(t *testing.T) {
	t.Run("Inside", func(t *testing.T) {
		m := newManager(t, vishnu.NewMemoryStore(), nil)
		c := newClient(t, timeoutApp(t, m, func(e *echo.Echo, session echo.MiddlewareFunc) {
			e.Use(session, middleware.ContextTimeout(50*time.Millisecond))
		}))
		a := c.get("/slow?v=timed-out")
		if a.status != http.StatusServiceUnavailable || a.header.Get("X-Session-Error") != "" {
			t.Fatalf("a request that timed out got %d %q, want echo's 503", a.status, a.body)
		}
		if sessionCookie(a.header, m) == "" {
			t.Errorf("the 503 of a request that timed out carries no session cookie: %v", a.header)
		}
		if got := c.get("/get").body; got != "timed-out" {
			t.Errorf("after the timeout the session holds via=%q, want timed-out", got)
		}
	})
	t.Run("Around", func(t *testing.T) {
		m := newManager(t, vishnu.NewMemoryStore(), nil)
		c := newClient(t, timeoutApp(t, m, func(e *echo.Echo, session echo.MiddlewareFunc) {
			e.Use(middleware.ContextTimeout(50*time.Millisecond), session)
		}))
		if a := c.get("/set?v=first"); a.status != http.StatusOK {
			t.Fatalf("GET /set: %d", a.status)
		}
		a := c.get("/slow?v=timed-out")
		if a.status != errStatus || a.body != errBody || a.header.Get("X-Session-Error") != "1" {
			t.Fatalf("a request that timed out got %d %q, want the configured error response", a.status, a.body)
		}
		if got := c.get("/get").body; got != "first" {
			t.Errorf("after the failed request the session holds via=%q, want first", got)
		}
	})
}

// TestTimeoutWithConfig: echo's TimeoutWithConfig (http.TimeoutHandler)
// must be the first middleware, as echo says, so it is around the session
// middleware. Without a timeout it is transparent (TestAdapter runs it
// around and inside). When the timeout fires, http.TimeoutHandler sends its
// 503 on its own, before the session commits, and the handler goes on in
// its goroutine: what it then does with the session fails with an error it
// sees (the store calls get the request's expired context; with a store
// that ignores it, the write fails with http.ErrHandlerTimeout), never a
// change that looks saved and is lost.
func TestTimeoutWithConfig(t *testing.T) {
	lateErr := make(chan error, 1)
	m := newManager(t, vishnu.NewMemoryStore(), nil)
	base := timeoutApp(t, m, func(e *echo.Echo, session echo.MiddlewareFunc) {
		//lint:ignore SA1019 deprecated by echo for its races, still in use: what it does to sessions is documented
		e.Use(middleware.TimeoutWithConfig(middleware.TimeoutConfig{
			Timeout: 50 * time.Millisecond,
			Skipper: func(c echo.Context) bool { return c.Path() != "/late" },
		}), func(next echo.HandlerFunc) echo.HandlerFunc {
			// Reports what the late handler got once the session middleware
			// is done too: echo reuses the context of a timed-out request
			// while its handler still runs, so the test waits for it.
			return func(c echo.Context) error {
				err := next(c)
				if c.Path() == "/late" {
					late, _ := c.Get("late").(error)
					lateErr <- late
				}
				return err
			}
		}, session)
	})
	wantLate := func(what string) {
		t.Helper()
		select {
		case err := <-lateErr:
			if !errors.Is(err, vishnuecho.ErrResponseReplaced) || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s: the late handler got %v, want its write to fail with ErrResponseReplaced and the store's context.DeadlineExceeded", what, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the late handler did not end", what)
		}
	}
	for _, existing := range []bool{true, false} {
		c := newClient(t, base)
		what, want := "a new session", ""
		if existing {
			if a := c.get("/set?v=first"); a.status != http.StatusOK || sessionCookie(a.header, m) == "" {
				t.Fatalf("GET /set: %d, Set-Cookie %q", a.status, a.header.Values("Set-Cookie"))
			}
			what, want = "an existing session", "first"
		}
		a := c.get("/late?v=late")
		if a.status != http.StatusServiceUnavailable || sessionCookie(a.header, m) != "" {
			t.Fatalf("%s: a request that timed out got %d %q, Set-Cookie %q; want http.TimeoutHandler's 503, without cookie", what, a.status, a.body, a.header.Values("Set-Cookie"))
		}
		wantLate(what)
		if got := c.get("/get").body; got != want {
			t.Errorf("%s: after the timed-out request the session holds via=%q, want %q", what, got, want)
		}
	}
}
