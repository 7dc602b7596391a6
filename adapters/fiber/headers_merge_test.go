package vishnufiber_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	vishnu "github.com/vishnu-go/vishnu/core"

	vishnufiber "github.com/vishnu-go/vishnu/adapters/fiber"
)

// The session's Vary and Cache-Control join the handler's, however many
// lines it set them in.
func TestPrivateHeadersJoinTheHandlers(t *testing.T) {
	m := newManager(t, func(c *vishnu.Config) { c.AutoSave = true })
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(vishnufiber.Middleware(m))
	app.Get("/", func(c *fiber.Ctx) error {
		h := &c.Context().Response.Header
		h.Add("Vary", "Accept")
		h.Add("Vary", "Origin")
		h.Add("Cache-Control", "max-age=60")
		return vishnufiber.Session(c).Set("k", "v")
	})
	r := newBrowser(t, listen(t, app)).get("/")
	if got := strings.Join(r.header.Values("Vary"), ", "); got != "Accept, Origin, Cookie" {
		t.Errorf("Vary %q, want %q", got, "Accept, Origin, Cookie")
	}
	if got := strings.Join(r.header.Values("Cache-Control"), ", "); got != "private, max-age=60" {
		t.Errorf("Cache-Control %q, want %q", got, "private, max-age=60")
	}
}

// The error response replaces an outer middleware's Cache-Control and adds
// to its Set-Cookie and Vary.
func TestErrorResponseMergesWithOuterHeaders(t *testing.T) {
	store := &switchStore{Store: vishnu.NewMemoryStore()}
	m := newManager(t, func(c *vishnu.Config) {
		c.Store = store
		c.AutoSave = true
		c.ErrorResponse = errorResponse
	})
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(func(c *fiber.Ctx) error {
		c.Set("Cache-Control", "public, max-age=600")
		c.Set("Vary", "Origin")
		c.Cookie(&fiber.Cookie{Name: "csrf", Value: "1"})
		return c.Next()
	})
	app.Use(vishnufiber.Middleware(m))
	app.Get("/", func(c *fiber.Ctx) error {
		if err := vishnufiber.Session(c).Set("k", "v"); err != nil {
			return err
		}
		return c.SendString("ok")
	})
	app.Get("/logout", func(c *fiber.Ctx) error {
		_ = vishnufiber.Session(c).Destroy()
		return c.SendString("bye")
	})
	b := newBrowser(t, listen(t, app))
	b.get("/")
	store.down.Store(true)
	defer store.down.Store(false)
	r := b.get("/logout")
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want the error response", r.status)
	}
	if got := r.header.Values("Cache-Control"); len(got) != 1 || got[0] != "no-store" {
		t.Errorf("Cache-Control %q, want only no-store", got)
	}
	if len(r.sessionCookies("csrf")) != 1 || len(r.sessionCookies(m.CookieName())) != 1 {
		t.Errorf("Set-Cookie %q, want the outer cookie and the session's deletion", r.header.Values("Set-Cookie"))
	}
	if got := strings.Join(r.header.Values("Vary"), ", "); !strings.Contains(got, "Origin") || !strings.Contains(got, "Cookie") {
		t.Errorf("Vary %q, want Origin and Cookie", got)
	}
}
