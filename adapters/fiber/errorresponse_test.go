package vishnufiber_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	vishnufiber "github.com/vishnu-go/vishnu/adapters/fiber"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// rawGet sends GET path on a connection of its own and returns the
// response's header block as it came over the wire (names unchanged) and
// its body.
func rawGet(t *testing.T, base, path string) (head, body string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	all, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	head, body, ok := strings.Cut(string(all), "\r\n\r\n")
	if !ok {
		t.Fatalf("GET %s: no end of headers in %q", path, all)
	}
	return head + "\r\n", body
}

// TestErrorResponseKeepsServerSettings: the error response that replaces a
// handler's response is written with the settings fiber's configuration
// gives every response (no Date, no default Content-Type, header names as
// set), as any other response of the app is: clearing the handler's headers
// must not clear them.
func TestErrorResponseKeepsServerSettings(t *testing.T) {
	serve := func(cfg fiber.Config) string {
		store := &switchStore{Store: vishnu.NewMemoryStore()}
		store.down.Store(true)
		m := newManager(t, func(c *vishnu.Config) {
			c.Store = store
			c.AutoSave = true
			c.ErrorResponse = func(context.Context, error) vishnu.ErrorResponse {
				return vishnu.ErrorResponse{
					Status: http.StatusServiceUnavailable,
					Header: http.Header{"x-session-error": {"down"}},
					Body:   []byte("session unavailable"),
				}
			}
		})
		cfg.DisableStartupMessage = true
		app := fiber.New(cfg)
		app.Use(vishnufiber.Middleware(m)) // first: no header set before it
		app.Get("/write", func(c *fiber.Ctx) error {
			c.Set("X-Handler", "1")
			c.Set(fiber.HeaderContentType, "text/html")
			return vishnufiber.Session(c).Set("n", 1)
		})
		app.Get("/plain", func(c *fiber.Ctx) error {
			c.Set("x-page", "1")
			return c.SendStatus(http.StatusNoContent)
		})
		return listen(t, app)
	}
	lines := func(head string) map[string]bool {
		set := map[string]bool{}
		for _, line := range strings.Split(head, "\r\n") {
			if name, _, ok := strings.Cut(line, ":"); ok {
				set[name] = true
			}
		}
		return set
	}

	base := serve(fiber.Config{DisableDefaultDate: true, DisableDefaultContentType: true, DisableHeaderNormalizing: true})
	plain, _ := rawGet(t, base, "/plain")
	if p := lines(plain); p["Date"] || p["Content-Type"] || !p["x-page"] {
		t.Fatalf("a page of the app: %q; want neither Date nor Content-Type, and x-page as set", plain)
	}
	head, body := rawGet(t, base, "/write")
	h := lines(head)
	if !strings.HasPrefix(head, "HTTP/1.1 503 ") || body != "session unavailable" || h["X-Handler"] {
		t.Fatalf("a store failure: %q %q; want the error response, none of the handler's headers", head, body)
	}
	if h["Date"] || h["Content-Type"] || !h["x-session-error"] {
		t.Errorf("the error response: %q; want, as on the app's other pages, neither Date nor Content-Type, and x-session-error as set", head)
	}

	// The same app without those settings: Date, the default Content-Type
	// and normalized names, as on its other pages.
	head, _ = rawGet(t, serve(fiber.Config{}), "/write")
	if h := lines(head); !h["Date"] || !h["Content-Type"] || !h["X-Session-Error"] || h["X-Handler"] {
		t.Errorf("the error response of an app with fasthttp's defaults: %q; want Date, Content-Type and X-Session-Error", head)
	}
}
