package vishnugin_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	vishnu "github.com/vishnu-go/vishnu/core"

	vishnugin "github.com/vishnu-go/vishnu/adapters/gin"
)

// TestRouteGroup: the middleware on a group gives sessions to that group's
// routes only; the others get none, and send no cookie.
func TestRouteGroup(t *testing.T) {
	m := newManager(t, nil)
	e := gin.New()
	app := e.Group("/app", vishnugin.Middleware(m))
	app.GET("/set", func(c *gin.Context) { _ = vishnugin.Session(c).Set("k", "v") })
	e.GET("/public", func(c *gin.Context) {
		if vishnugin.Session(c) != nil {
			c.String(http.StatusInternalServerError, "a session outside the group")
			return
		}
		c.String(http.StatusOK, "public")
	})
	url := serve(t, e)
	c := newClient(t)
	if r := get(t, c, url+"/app/set"); r.sessionCookie(m.CookieName()) == "" {
		t.Errorf("a route of the group sent no session cookie: %v", r.header)
	}
	if r := get(t, c, url+"/public"); r.status != http.StatusOK || r.header.Get("Set-Cookie") != "" {
		t.Errorf("a route outside the group: %d %q, Set-Cookie %q", r.status, r.body, r.header.Get("Set-Cookie"))
	}
}

// TestSeveralManagers: two managers with different cookie names side by
// side on one engine; SessionOf picks each, Session the innermost.
func TestSeveralManagers(t *testing.T) {
	ma := newManager(t, func(c *vishnu.Config) { c.Cookie.Name = "a" })
	mb := newManager(t, func(c *vishnu.Config) { c.Cookie.Name = "b" })
	e := gin.New()
	e.Use(vishnugin.Middleware(ma), vishnugin.Middleware(mb))
	e.GET("/set", func(c *gin.Context) {
		if vishnugin.Session(c) != vishnugin.SessionOf(c, mb) {
			c.String(http.StatusInternalServerError, "Session is not the innermost manager's")
			return
		}
		_ = vishnugin.SessionOf(c, ma).Set("x", "from a")
		_ = vishnugin.SessionOf(c, mb).Set("y", "from b")
		c.String(http.StatusOK, "set")
	})
	e.GET("/get", func(c *gin.Context) {
		ax, _ := vishnu.Get[string](vishnugin.SessionOf(c, ma), "x")
		ay, _ := vishnu.Get[string](vishnugin.SessionOf(c, ma), "y")
		by, _ := vishnu.Get[string](vishnugin.SessionOf(c, mb), "y")
		c.String(http.StatusOK, "%s|%s|%s", ax, ay, by)
	})
	url := serve(t, e)
	c := newClient(t)
	r := get(t, c, url+"/set")
	if r.status != http.StatusOK || r.sessionCookie("a") == "" || r.sessionCookie("b") == "" {
		t.Fatalf("got %d %q with cookies %q; want both sessions' cookies", r.status, r.body, r.header.Values("Set-Cookie"))
	}
	if got := get(t, c, url+"/get").body; got != "from a||from b" {
		t.Errorf("the sessions hold %q, want %q", got, "from a||from b")
	}
}

// TestFromContext: vishnu.FromContext works on the request's context, and
// on the gin context itself when the engine sets ContextWithFallback.
func TestFromContext(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		m := newManager(t, nil)
		e := gin.New()
		e.ContextWithFallback = fallback
		e.Use(vishnugin.Middleware(m))
		e.GET("/", func(c *gin.Context) {
			s := vishnugin.Session(c)
			ok := s != nil && vishnu.FromContext(c.Request.Context()) == s &&
				m.FromContext(c.Request.Context()) == s &&
				(vishnu.FromContext(c) == s) == fallback
			c.String(http.StatusOK, "%v", ok)
		})
		url := serve(t, e)
		if r := get(t, newClient(t), url+"/"); r.body != "true" {
			t.Errorf("ContextWithFallback %v: the session is not where it should be", fallback)
		}
	}
}

// TestCopiedContext: a goroutine given c.Copy(), as gin says goroutines
// must be, reaches the same session while the request runs.
func TestCopiedContext(t *testing.T) {
	m := newManager(t, nil)
	e := gin.New()
	e.Use(vishnugin.Middleware(m))
	e.GET("/set", func(c *gin.Context) {
		cp := c.Copy()
		done := make(chan error)
		go func() { done <- vishnugin.Session(cp).Set("k", "from a goroutine") }()
		if err := <-done; err != nil {
			c.String(http.StatusInternalServerError, err.Error())
			return
		}
		c.String(http.StatusOK, "set")
	})
	e.GET("/get", func(c *gin.Context) {
		v, _ := vishnu.Get[string](vishnugin.Session(c), "k")
		c.String(http.StatusOK, v)
	})
	url := serve(t, e)
	c := newClient(t)
	if r := get(t, c, url+"/set"); r.status != http.StatusOK || r.sessionCookie(m.CookieName()) == "" {
		t.Fatalf("got %d %q, cookie %q", r.status, r.body, r.sessionCookie(m.CookieName()))
	}
	if got := get(t, c, url+"/get").body; got != "from a goroutine" {
		t.Errorf("the session holds %q, want the goroutine's change", got)
	}
}

// TestHandleContext: c.HandleContext runs the chain again, session
// middleware included, and that run answers with its own session. A change
// the first handler made that needed a cookie cannot be delivered any more:
// it is an ErrHeadersWritten in c.Errors, not a silent loss.
func TestHandleContext(t *testing.T) {
	m := newManager(t, nil)
	var errs []error
	e := gin.New()
	e.Use(func(c *gin.Context) {
		c.Next()
		errs = nil
		for _, err := range c.Errors {
			errs = append(errs, err.Err)
		}
	}, vishnugin.Middleware(m))
	e.GET("/first", func(c *gin.Context) {
		_ = vishnugin.Session(c).Set("first", "lost")
		c.Request.URL.Path = "/second"
		e.HandleContext(c)
	})
	e.GET("/second", func(c *gin.Context) {
		_ = vishnugin.Session(c).Set("second", "kept")
		c.String(http.StatusOK, "second")
	})
	e.GET("/get", func(c *gin.Context) {
		first, _ := vishnu.Get[string](vishnugin.Session(c), "first")
		second, _ := vishnu.Get[string](vishnugin.Session(c), "second")
		c.String(http.StatusOK, "%s|%s", first, second)
	})
	url := serve(t, e)
	c := newClient(t)
	if r := get(t, c, url+"/first"); r.body != "second" || r.sessionCookie(m.CookieName()) == "" {
		t.Fatalf("got %q with cookie %q, want the second handler's answer with its session's cookie", r.body, r.sessionCookie(m.CookieName()))
	}
	if len(errs) != 1 || !errors.Is(errs[0], vishnu.ErrHeadersWritten) {
		t.Errorf("c.Errors = %v, want ErrHeadersWritten for the first handler's undeliverable session", errs)
	}
	if got := get(t, c, url+"/get").body; got != "|kept" {
		t.Errorf("the session holds %q, want only the second handler's change", got)
	}
}
