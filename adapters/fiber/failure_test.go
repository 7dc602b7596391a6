package vishnufiber_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/timeout"
	vishnufiber "github.com/vishnu-go/vishnu/adapters/fiber"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// switchStore is a memory store that fails every call while down is set,
// as a backend that cannot be reached does.
type switchStore struct {
	vishnu.Store
	down atomic.Bool
}

var errDown = errors.New("the store is down")

func (s *switchStore) Load(ctx context.Context, id string) ([]byte, error) {
	if s.down.Load() {
		return nil, errDown
	}
	return s.Store.Load(ctx, id)
}

func (s *switchStore) Save(ctx context.Context, id string, data []byte, exp time.Time) error {
	if s.down.Load() {
		return errDown
	}
	return s.Store.Save(ctx, id, data, exp)
}

func (s *switchStore) Delete(ctx context.Context, id string) error {
	if s.down.Load() {
		return errDown
	}
	return s.Store.Delete(ctx, id)
}

func errorResponse(context.Context, error) vishnu.ErrorResponse {
	return vishnu.ErrorResponse{
		Status: http.StatusServiceUnavailable,
		Header: http.Header{"Content-Type": {"application/json"}, "Retry-After": {"5"}},
		Body:   []byte(`{"error":"session unavailable"}`),
	}
}

// failureApp serves, behind an outer middleware that sets X-Frame-Options,
// routes that set headers, a status and a body before the store fails.
func failureApp(t *testing.T, opts vishnufiber.Options, cfg fiber.Config) (*browser, *switchStore) {
	t.Helper()
	store := &switchStore{Store: vishnu.NewMemoryStore()}
	m := newManager(t, func(c *vishnu.Config) {
		c.Store = store
		c.AutoSave = true
		c.ErrorResponse = errorResponse
	})
	cfg.DisableStartupMessage = true
	app := fiber.New(cfg)
	app.Use(func(c *fiber.Ctx) error {
		c.Set("X-Frame-Options", "DENY")
		return c.Next()
	})
	app.Use(vishnufiber.MiddlewareWithOptions(m, opts))
	app.Get("/establish", func(c *fiber.Ctx) error { return vishnufiber.Session(c).Set("user", "ada") })
	app.Get("/write", func(c *fiber.Ctx) error {
		c.Set("X-Handler", "1")
		c.Cookie(&fiber.Cookie{Name: "theme", Value: "dark"})
		_ = vishnufiber.Session(c).Set("n", 1)
		return c.Status(http.StatusCreated).SendString("created")
	})
	app.Get("/stream", func(c *fiber.Ctx) error {
		_ = vishnufiber.Session(c).Set("n", 2)
		c.Set("X-Handler", "1")
		c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
			for range 100 {
				_, _ = w.WriteString(strings.Repeat("half a response ", 64))
				if w.Flush() != nil {
					return
				}
			}
		})
		return nil
	})
	app.Get("/logout", func(c *fiber.Ctx) error {
		if err := vishnufiber.Session(c).Destroy(); err != nil {
			return c.SendString("logout failed: " + err.Error())
		}
		return c.SendString("bye")
	})
	return newBrowser(t, listen(t, app)), store
}

// wantErrorPage checks r is the configured error response: none of the
// handler's headers, the outer middleware's header kept, not cacheable.
func wantErrorPage(t *testing.T, r reply, what string) {
	t.Helper()
	if r.status != http.StatusServiceUnavailable || r.body != `{"error":"session unavailable"}` ||
		r.header.Get("Content-Type") != "application/json" || r.header.Get("Retry-After") != "5" {
		t.Errorf("%s: status %d, Content-Type %q, Retry-After %q, body %q; want the configured error response", what, r.status, r.header.Get("Content-Type"), r.header.Get("Retry-After"), r.body)
	}
	if r.header.Get("X-Handler") != "" || len(r.sessionCookies("theme")) > 0 {
		t.Errorf("%s: the error response carries the handler's headers: %v", what, r.header)
	}
	if r.header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("%s: the error response lost the header an outer middleware set: %v", what, r.header)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("%s: Cache-Control %q, want no-store", what, r.header.Get("Cache-Control"))
	}
}

func TestStoreFailure(t *testing.T) {
	b, store := failureApp(t, vishnufiber.Options{}, fiber.Config{})
	b.get("/establish")
	store.down.Store(true)
	wantErrorPage(t, b.get("/write"), "a write while the store is down")
	wantErrorPage(t, b.get("/stream"), "a streamed response while the store is down")

	r := b.get("/logout")
	wantErrorPage(t, r, "a logout while the store is down")
	if cs := r.sessionCookies("vishnu"); len(cs) != 1 || !strings.Contains(cs[0], "Max-Age=0") {
		t.Errorf("a logout that could not be recorded: session cookies %q, want the deletion cookie all the same", cs)
	}
	store.down.Store(false)
	if r := b.get("/establish"); r.status != http.StatusOK {
		t.Errorf("after the store is back: status %d", r.status)
	}
}

// TestStoreFailureThroughFiber: an Options.ErrorHandler that returns an
// error hands the failure to fiber's Config.ErrorHandler, which renders it;
// the session's lines are already on the response.
func TestStoreFailureThroughFiber(t *testing.T) {
	var seen error
	opts := vishnufiber.Options{ErrorHandler: func(c *fiber.Ctx, err error) error {
		seen = err
		return fiber.NewError(fiber.StatusServiceUnavailable, "try again later")
	}}
	b, store := failureApp(t, opts, fiber.Config{})
	b.get("/establish")
	store.down.Store(true)
	r := b.get("/write")
	if r.status != http.StatusServiceUnavailable || r.body != "try again later" {
		t.Errorf("status %d, body %q; want fiber's error page for the returned fiber.Error", r.status, r.body)
	}
	if !errors.Is(seen, errDown) {
		t.Errorf("Options.ErrorHandler got %v, want an error wrapping the store's", seen)
	}
	if r.header.Get("X-Handler") != "" || r.header.Get("X-Frame-Options") != "DENY" || r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v: want the outer middleware's, Cache-Control: no-store, and none of the handler's", r.header)
	}
	r = b.get("/logout")
	if cs := r.sessionCookies("vishnu"); len(cs) != 1 {
		t.Errorf("a failed logout rendered by fiber's ErrorHandler: session cookies %q, want the deletion cookie", cs)
	}
}

// TestStoreCallsUseUserContext: the store sees the request's user context
// as it is when the session is first asked for, deadline and values
// included.
func TestStoreCallsUseUserContext(t *testing.T) {
	type key struct{}
	var got atomic.Value
	store := &ctxStore{Store: vishnu.NewMemoryStore(), seen: &got, key: key{}}
	m := newManager(t, func(c *vishnu.Config) { c.Store = store })
	app := newApp()
	app.Use(func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(context.WithValue(c.UserContext(), key{}, "request"), time.Minute)
		defer cancel()
		c.SetUserContext(ctx)
		return c.Next()
	})
	app.Use(vishnufiber.Middleware(m))
	app.Get("/", func(c *fiber.Ctx) error {
		s := vishnufiber.Session(c)
		if err := s.Set("k", "v"); err != nil {
			return err
		}
		return s.Save()
	})
	b := newBrowser(t, listen(t, app))
	if r := b.get("/"); r.status != http.StatusOK || r.body != "" {
		t.Fatalf("status %d, body %q", r.status, r.body)
	}
	seen, _ := got.Load().(ctxSeen)
	if !seen.called {
		t.Fatal("the store was not called")
	}
	if !seen.deadline || seen.value != "request" {
		t.Errorf("the store's context (deadline %v, value %v) has no deadline or lacks the request's value: not c.UserContext()", seen.deadline, seen.value)
	}
}

// ctxStore records what the context of its last Save had.
type ctxStore struct {
	vishnu.Store
	seen *atomic.Value
	key  any
}

type ctxSeen struct {
	called, deadline bool
	value            any
}

func (s *ctxStore) Save(ctx context.Context, id string, data []byte, exp time.Time) error {
	_, deadline := ctx.Deadline()
	s.seen.Store(ctxSeen{called: true, deadline: deadline, value: ctx.Value(s.key)})
	return s.Store.Save(ctx, id, data, exp)
}

// TestTimeoutMiddleware: fiber's timeout.NewWithContext around a handler
// cancels its context when the handler returns, before the commit point;
// the commit does not fail for it, and the deadline bounds the store calls
// the handler makes.
func TestTimeoutMiddleware(t *testing.T) {
	var got atomic.Value
	store := &ctxStore{Store: vishnu.NewMemoryStore(), seen: &got, key: struct{}{}}
	m := newManager(t, func(c *vishnu.Config) { c.Store = store; c.AutoSave = true })
	app := newApp()
	app.Use(vishnufiber.Middleware(m))
	app.Get("/set", timeout.NewWithContext(func(c *fiber.Ctx) error {
		s := vishnufiber.Session(c)
		if err := s.Set("user", "ada"); err != nil {
			return err
		}
		return s.Save()
	}, 10*time.Second))
	app.Get("/autosave", timeout.NewWithContext(func(c *fiber.Ctx) error {
		return vishnufiber.Session(c).Set("n", 1)
	}, 10*time.Second))
	app.Get("/get", func(c *fiber.Ctx) error {
		user, _ := vishnu.Get[string](vishnufiber.Session(c), "user")
		n, _ := vishnu.Get[int](vishnufiber.Session(c), "n")
		return c.SendString(fmt.Sprintf("%s %d", user, n))
	})
	b := newBrowser(t, listen(t, app))
	if r := b.get("/set"); r.status != http.StatusOK {
		t.Fatalf("Save under a timeout middleware: status %d, body %q", r.status, r.body)
	}
	if seen, _ := got.Load().(ctxSeen); !seen.deadline {
		t.Errorf("the handler's Save did not get the timeout middleware's deadline")
	}
	if r := b.get("/autosave"); r.status != http.StatusOK {
		t.Errorf("an AutoSave change under a timeout middleware, committed after it returned: status %d, body %q", r.status, r.body)
	}
	if r := b.get("/get"); r.body != "ada 1" {
		t.Errorf("the session holds %q, want ada 1", r.body)
	}
}
