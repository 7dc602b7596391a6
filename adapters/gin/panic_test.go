package vishnugin_test

import (
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	vishnu "github.com/vishnu-go/vishnu/core"

	vishnugin "github.com/vishnu-go/vishnu/adapters/gin"
)

// TestPanicUnderRecovery: a handler that panics under gin.Recovery ends its
// request with gin's 500; it commits nothing (with Recovery outside, the
// usual order) or commits with the 500 (with Recovery inside, which answers
// through the session middleware); the session stays usable (no lock is
// held), and no goroutine is left behind.
func TestPanicUnderRecovery(t *testing.T) {
	for _, inside := range []bool{false, true} {
		name := "RecoveryOutside"
		if inside {
			name = "RecoveryInside"
		}
		t.Run(name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			m := newManager(t, nil)
			recovery := gin.RecoveryWithWriter(io.Discard)
			e := gin.New()
			if inside {
				e.Use(vishnugin.Middleware(m), recovery)
			} else {
				e.Use(recovery, vishnugin.Middleware(m))
			}
			e.GET("/seed", func(c *gin.Context) { _ = vishnugin.Session(c).Set("k", "seed") })
			e.GET("/panic", func(c *gin.Context) {
				_ = vishnugin.Session(c).Set("k", "panicked")
				panic("the handler crashed")
			})
			e.GET("/panic-late", func(c *gin.Context) {
				c.String(http.StatusOK, "started")
				panic("the handler crashed after writing")
			})
			e.GET("/get", func(c *gin.Context) {
				v, _ := vishnu.Get[string](vishnugin.Session(c), "k")
				c.String(http.StatusOK, v)
			})
			srv := serveServer(e)
			// A new session changed by a handler that panics: its cookie
			// goes out with the 500 only if the 500 went through the
			// session middleware.
			r := get(t, newClient(t), srv.URL+"/panic")
			if r.status != http.StatusInternalServerError {
				t.Fatalf("a panicking handler answered %d, want gin.Recovery's 500", r.status)
			}
			if got := r.sessionCookie(m.CookieName()) != ""; got != inside {
				t.Errorf("session cookie on the 500 of a new session: %v, want %v", got, inside)
			}
			c := newClient(t)
			get(t, c, srv.URL+"/seed")
			for range 20 {
				if r := get(t, c, srv.URL+"/panic"); r.status != http.StatusInternalServerError {
					t.Fatalf("a panicking handler answered %d, want gin.Recovery's 500", r.status)
				}
			}
			want := "seed"
			if inside {
				want = "panicked"
			}
			if r := get(t, c, srv.URL+"/get"); r.body != want {
				t.Errorf("after the panics the session holds %q, want %q", r.body, want)
			}
			// A panic once the response started: the connection is cut or
			// the response ends; either way the next request is served.
			if resp, err := c.Get(srv.URL + "/panic-late"); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if r := get(t, c, srv.URL+"/get"); r.body != want {
				t.Errorf("after a late panic the session holds %q, want %q", r.body, want)
			}
			srv.Close()
			c.CloseIdleConnections()
			waitGoroutines(t, before)
		})
	}
}

// waitGoroutines waits (a few seconds at most) until no more goroutines run
// than before, and fails with their stacks if some are left.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines left behind (%d before):\n%s", runtime.NumGoroutine()-before, before, buf)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRequestsLeaveNoGoroutine: the paths that start goroutines in gin or
// net/http (c.Stream's CloseNotify, SSE) end with their requests.
func TestRequestsLeaveNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	m := newManager(t, nil)
	srv := serveServer(pathsEngine(t, m))
	for name := range ginPaths(t) {
		c := newClient(t)
		for i := range 5 {
			if r := get(t, c, srv.URL+"/"+name); i == 0 && r.sessionCookie(m.CookieName()) == "" {
				t.Fatalf("%s: no session cookie", name)
			}
		}
		c.CloseIdleConnections()
	}
	srv.Close()
	waitGoroutines(t, before)
}

// TestNoMiddleware: a route outside the middleware gets a nil session,
// whose methods fail with ErrNoSession instead of panicking.
func TestNoMiddleware(t *testing.T) {
	e := gin.New()
	e.GET("/", func(c *gin.Context) {
		s := vishnugin.Session(c)
		_, ok := vishnu.Get[string](s, "k")
		err := s.Set("k", "v")
		if s != nil || ok || err != vishnu.ErrNoSession || vishnugin.SessionOf(c, nil) != nil {
			c.String(http.StatusInternalServerError, "session %v, Get %v, Set %v", s, ok, err)
			return
		}
		c.String(http.StatusOK, "ok")
	})
	url := serve(t, e)
	if r := get(t, newClient(t), url+"/"); r.status != http.StatusOK {
		t.Errorf("without the middleware: %d %q", r.status, r.body)
	}
	if s := vishnugin.Session(nil); s != nil {
		t.Errorf("Session(nil) = %v", s)
	}
}

// TestNilManager: a nil Manager is a set-up mistake, reported where the
// middleware is made (with the function's name), never at request time.
func TestNilManager(t *testing.T) {
	for name, make := range map[string]func(){
		"Middleware":            func() { vishnugin.Middleware(nil) },
		"MiddlewareWithOptions": func() { vishnugin.MiddlewareWithOptions(nil, vishnugin.Options{}) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.HasPrefix(msg, "vishnugin: Middleware") || !strings.Contains(msg, "nil *vishnu.Manager") {
					t.Errorf("%s(nil) panicked with %q; want a panic naming vishnugin.Middleware and the nil Manager", name, msg)
				}
			}()
			make()
		})
	}
}
