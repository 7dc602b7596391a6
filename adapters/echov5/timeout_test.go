package vishnuechov5_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
	vishnuechov5 "github.com/vishnu-go/vishnu/adapters/echov5"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// timeoutApp serves /set, /slow, which sets the session's "via" to the
// query's v, waits for the request's context to end and returns its error
// (as a handler using context-aware calls does), and /get.
func timeoutApp(t *testing.T, m *vishnu.Manager, use func(e *echo.Echo, session echo.MiddlewareFunc)) string {
	e := quietEcho()
	use(e, vishnuechov5.Middleware(m))
	e.GET("/slow", func(c *echo.Context) error {
		if err := vishnuechov5.Session(c).Set("via", c.QueryParam("v")); err != nil {
			return err
		}
		<-c.Request().Context().Done()
		return c.Request().Context().Err()
	})
	e.GET("/set", func(c *echo.Context) error {
		if err := vishnuechov5.Session(c).Set("via", c.QueryParam("v")); err != nil {
			return err
		}
		return c.String(http.StatusOK, "set")
	})
	e.GET("/get", func(c *echo.Context) error {
		v, _ := vishnu.Get[string](vishnuechov5.Session(c), "via")
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
