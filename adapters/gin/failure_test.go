package vishnugin_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	vishnu "github.com/vishnu-go/vishnu/core"

	vishnugin "github.com/vishnu-go/vishnu/adapters/gin"
)

var errDown = errors.New("the store is down")

// downStore is a store whose backend is unreachable: every call fails.
type downStore struct{}

func (downStore) Load(context.Context, string) ([]byte, error)          { return nil, errDown }
func (downStore) Save(context.Context, string, []byte, time.Time) error { return errDown }
func (downStore) Delete(context.Context, string) error                  { return errDown }
func (downStore) Commit(context.Context, string, *vishnu.Change) error  { return errDown }
func (downStore) Touch(context.Context, string, time.Time) error        { return errDown }

// seen is what a middleware outside the session middleware saw of a
// request once the chain returned, and what the handler's writes returned.
type seen struct {
	mu       sync.Mutex
	status   int
	errors   []error
	writeErr error
}

func (s *seen) outer(c *gin.Context) {
	c.Header("Strict-Transport-Security", "max-age=600") // an outer middleware's header
	c.Next()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = c.Writer.Status()
	s.errors = nil
	for _, e := range c.Errors {
		s.errors = append(s.errors, e.Err)
	}
}

// failingEngine serves, with a store that is down, handlers that change
// the session and answer in several gin ways, each setting headers of its
// own first.
func failingEngine(t *testing.T, opts vishnugin.Options, sn *seen) *gin.Engine {
	m := newManager(t, func(c *vishnu.Config) { c.Store = downStore{} })
	e := gin.New()
	e.Use(sn.outer, vishnugin.MiddlewareWithOptions(m, opts))
	handlers := map[string]gin.HandlerFunc{
		"json":    func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"secret": "handler"}) },
		"status":  func(c *gin.Context) { c.Status(http.StatusCreated) },
		"abort":   func(c *gin.Context) { c.AbortWithStatus(http.StatusAccepted) },
		"nothing": func(c *gin.Context) {},
		"write": func(c *gin.Context) {
			_, err1 := c.Writer.Write([]byte("handler body"))
			_, err2 := c.Writer.WriteString("more")
			sn.mu.Lock()
			sn.writeErr = errors.Join(err1, err2)
			sn.mu.Unlock()
		},
	}
	for name, h := range handlers {
		e.GET("/"+name, func(c *gin.Context) {
			c.Header("X-Handler", "1")
			c.Header("Content-Type", "application/x-handler")
			_ = vishnugin.Session(c).Set("k", "v")
			h(c)
		})
	}
	return e
}

func TestStoreDownSendsTheErrorResponse(t *testing.T) {
	sn := new(seen)
	url := serve(t, failingEngine(t, vishnugin.Options{}, sn))
	for _, route := range []string{"json", "status", "abort", "nothing", "write"} {
		t.Run(route, func(t *testing.T) {
			r := get(t, newClient(t), url+"/"+route)
			if r.status != http.StatusInternalServerError || r.body != "Internal Server Error\n" {
				t.Errorf("got %d %q, want the default error response, 500 %q", r.status, r.body, "Internal Server Error\n")
			}
			if r.header.Get("X-Handler") != "" || r.header.Get("Content-Type") != "text/plain; charset=utf-8" {
				t.Errorf("the handler's headers went out with the error response: %v", r.header)
			}
			if r.header.Get("Strict-Transport-Security") == "" {
				t.Errorf("the outer middleware's header was dropped: %v", r.header)
			}
			if r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("the error response has Cache-Control %q, want no-store", r.header.Get("Cache-Control"))
			}
			sn.mu.Lock()
			defer sn.mu.Unlock()
			if sn.status != http.StatusInternalServerError {
				t.Errorf("gin's writer reports status %d to outer middleware, want 500", sn.status)
			}
			// gin's Render records its failed write too (c.JSON).
			if len(sn.errors) == 0 || !errors.Is(sn.errors[0], errDown) {
				t.Errorf("c.Errors holds %v, want the store's error first", sn.errors)
			}
			if route == "write" && sn.writeErr == nil {
				t.Errorf("the handler's writes after the error response succeeded")
			}
		})
	}
}

func TestStoreDownWithErrorHandler(t *testing.T) {
	sn := new(seen)
	var got error
	opts := vishnugin.Options{ErrorHandler: func(c *gin.Context, err error) {
		got = err
		c.JSON(http.StatusServiceUnavailable, gin.H{"error": "try again"})
	}}
	url := serve(t, failingEngine(t, opts, sn))
	r := get(t, newClient(t), url+"/json")
	if !errors.Is(got, errDown) {
		t.Errorf("the error handler got %v, want the store's error", got)
	}
	if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "try again") || strings.Contains(r.body, "handler") {
		t.Errorf("got %d %q, want the error handler's 503", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" || r.header.Get("X-Handler") != "" {
		t.Errorf("headers %v: want the error handler's Content-Type and none of the handler's", r.header)
	}
	if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Strict-Transport-Security") == "" {
		t.Errorf("headers %v: want Cache-Control: no-store and the outer middleware's header", r.header)
	}

	// An error handler that writes nothing still replaces the response.
	opts.ErrorHandler = func(*gin.Context, error) {}
	url = serve(t, failingEngine(t, opts, sn))
	r = get(t, newClient(t), url+"/json")
	if r.status != http.StatusInternalServerError || r.body != "" {
		t.Errorf("with a silent error handler: got %d %q, want a bare 500", r.status, r.body)
	}
}

// TestLogoutCookieWithErrorResponse: a Destroy whose deletion fails still
// expires the cookie in the browser, on the error response.
func TestLogoutCookieWithErrorResponse(t *testing.T) {
	store := &switchStore{Store: vishnu.NewMemoryStore()}
	m := newManager(t, func(c *vishnu.Config) { c.Store = store })
	e := gin.New()
	e.Use(vishnugin.Middleware(m))
	e.GET("/login", func(c *gin.Context) { _ = vishnugin.Session(c).Set("user", "ada") })
	e.GET("/logout", func(c *gin.Context) {
		_ = vishnugin.Session(c).Destroy()
		c.String(http.StatusOK, "bye")
	})
	url := serve(t, e)
	c := newClient(t)
	if r := get(t, c, url+"/login"); r.sessionCookie(m.CookieName()) == "" {
		t.Fatal("no cookie at login")
	}
	store.down.Store(true)
	r := get(t, c, url+"/logout")
	if r.status != http.StatusInternalServerError {
		t.Errorf("a logout that could not be recorded answered %d %q, want the error response", r.status, r.body)
	}
	line := r.sessionCookie(m.CookieName())
	if !strings.Contains(line, "Max-Age=0") && !strings.Contains(strings.ToLower(line), "expires=thu, 01 jan 1970") {
		t.Errorf("the error response of a failed logout does not expire the cookie: %q", line)
	}
}

// TestStoreDownUnderCompression: with gzip outside the session middleware
// the error response is compressed like any other; with gzip inside, the
// compressor's headers are the handler's, so the error response goes out
// plain. Either way the client reads the error body whole.
func TestStoreDownUnderCompression(t *testing.T) {
	for _, inside := range []bool{false, true} {
		m := newManager(t, func(c *vishnu.Config) { c.Store = downStore{} })
		e := gin.New()
		if inside {
			e.Use(vishnugin.Middleware(m), gzipMiddleware)
		} else {
			e.Use(gzipMiddleware, vishnugin.Middleware(m))
		}
		e.GET("/", func(c *gin.Context) {
			_ = vishnugin.Session(c).Set("k", "v")
			c.String(http.StatusOK, "the handler's body")
		})
		url := serve(t, e)
		resp, err := http.Get(url + "/") // the default transport asks for gzip and decodes it
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusInternalServerError || string(body) != "Internal Server Error\n" {
			t.Errorf("gzip inside %v: got %d %q (%v), want the error response", inside, resp.StatusCode, body, err)
		}
		if resp.Uncompressed == inside {
			t.Errorf("gzip inside %v: the error response compressed on the wire: %v, want %v", inside, resp.Uncompressed, !inside)
		}
	}
}
