package vishnugin_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	vishnu "github.com/vishnu-go/vishnu/core"

	vishnugin "github.com/vishnu-go/vishnu/adapters/gin"
)

// Once the error response has replaced the handler's, the chain is aborted
// (the next handlers do not run), and what the handler does afterwards (a
// write, a header, a status) does not reach the client, even when the
// error handler wrote no body of its own.
func TestErrorResponseEndsTheChain(t *testing.T) {
	for _, tc := range []struct {
		name    string
		onError func(*gin.Context, error)
		body    string
	}{
		{"default", nil, "Internal Server Error\n"},
		{"error handler", func(c *gin.Context, _ error) { c.String(http.StatusServiceUnavailable, "later") }, "later"},
		{"silent error handler", func(*gin.Context, error) {}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newManager(t, func(c *vishnu.Config) { c.Store = downStore{} })
			e := gin.New()
			var after bool
			e.Use(vishnugin.MiddlewareWithOptions(m, vishnugin.Options{ErrorHandler: tc.onError}))
			e.GET("/", func(c *gin.Context) {
				_ = vishnugin.Session(c).Set("k", "v")
				c.Writer.WriteHeaderNow() // the commit fails here
				c.Header("X-Late", "1")
				c.Status(http.StatusCreated)
				_, _ = c.Writer.Write([]byte("late body"))
				c.Next()
			}, func(c *gin.Context) {
				after = true
				c.String(http.StatusOK, "next handler")
			})
			r := get(t, newClient(t), serve(t, e))
			if r.body != tc.body {
				t.Errorf("body %q, want %q", r.body, tc.body)
			}
			if r.header.Get("X-Late") != "" || r.status == http.StatusCreated || r.status == http.StatusOK {
				t.Errorf("the handler's answer after the failure went out: %d %v", r.status, r.header)
			}
			if after {
				t.Error("a handler after the failed commit ran")
			}
		})
	}
}

// Outer middleware gets back the request and writer it passed in: the
// session middleware's own are only for the handlers inside it.
func TestOuterMiddlewareGetsItsRequestBack(t *testing.T) {
	m := newManager(t, nil)
	e := gin.New()
	e.Use(func(c *gin.Context) {
		req, w := c.Request, c.Writer
		c.Next()
		if c.Request != req || c.Writer != w {
			t.Error("the session middleware left its request or writer in the context")
		}
		if vishnugin.Session(c) != nil {
			t.Error("the session is still reachable outside the session middleware")
		}
	}, vishnugin.Middleware(m))
	e.GET("/", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	if r := get(t, newClient(t), serve(t, e)); r.body != "ok" {
		t.Fatalf("body %q", r.body)
	}
}

// Session and SessionOf report no session, without panicking, for a
// context without a request or a nil Manager.
func TestSessionOfIncompleteContexts(t *testing.T) {
	m := newManager(t, nil)
	if vishnugin.Session(nil) != nil || vishnugin.Session(&gin.Context{}) != nil {
		t.Error("Session of a context without a request is not nil")
	}
	if vishnugin.SessionOf(nil, m) != nil || vishnugin.SessionOf(&gin.Context{}, m) != nil {
		t.Error("SessionOf a context without a request is not nil")
	}
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
	if vishnugin.SessionOf(c, nil) != nil {
		t.Error("SessionOf with a nil Manager is not nil")
	}
}
