package vishnufiber_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"
	vishnufiber "github.com/vishnu-go/vishnu/adapters/fiber"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// TestFirstUseOnAnotherGoroutine: a session first read on a goroutine the
// handler started, while the handler reads the request's cookies and
// headers itself, as the README allows. fasthttp rewrites its request
// header as it parses cookies, so the session must not read them there
// from another goroutine: run with -race, which reports it.
func TestFirstUseOnAnotherGoroutine(t *testing.T) {
	m := newManager(t, func(c *vishnu.Config) { c.AutoSave = true })
	app := newApp()
	app.Use(vishnufiber.Middleware(m))
	app.Get("/establish", func(c *fiber.Ctx) error {
		return vishnufiber.Session(c).Set("user", "ada")
	})
	app.Get("/read", func(c *fiber.Ctx) error {
		s := vishnufiber.Session(c) // not read yet
		var user string
		var wg sync.WaitGroup
		wg.Go(func() { user, _ = vishnu.Get[string](s, "user") })
		// The handler's own reads, while the goroutine loads the session.
		var theme, cookie string
		for range 50 {
			theme = c.Cookies("theme")
			cookie = c.Get(fiber.HeaderCookie)
		}
		wg.Wait()
		if theme != "dark" || cookie == "" {
			return c.SendString("the handler lost its cookies: theme=" + theme)
		}
		return c.SendString("user=" + user)
	})
	b := newBrowser(t, listen(t, app))
	b.get("/establish")
	for range 20 {
		r := b.do(http.MethodGet, "/read", http.Header{"Cookie": {"theme=dark"}})
		if r.body != "user=ada" {
			t.Fatalf("a session first read on another goroutine: %q, want user=ada", r.body)
		}
	}
}

// TestHeaderTokenFirstUseOnAnotherGoroutine: the same with a session whose
// token travels in a request header, which the session reads there too.
func TestHeaderTokenFirstUseOnAnotherGoroutine(t *testing.T) {
	m := newManager(t, func(c *vishnu.Config) {
		c.AutoSave = true
		c.Cookie = vishnu.CookieConfig{}
		c.Token.Sources = []vishnu.TokenSource{vishnu.TokenInHeader}
	})
	app := newApp()
	app.Use(vishnufiber.Middleware(m))
	app.Get("/establish", func(c *fiber.Ctx) error {
		return vishnufiber.Session(c).Set("user", "ada")
	})
	app.Get("/read", func(c *fiber.Ctx) error {
		s := vishnufiber.Session(c) // not read yet
		var user string
		var wg sync.WaitGroup
		wg.Go(func() { user, _ = vishnu.Get[string](s, "user") })
		var theme string
		for range 50 {
			theme = c.Get("X-Theme")
		}
		wg.Wait()
		if theme != "dark" {
			return c.SendString("the handler lost its headers: theme=" + theme)
		}
		return c.SendString("user=" + user)
	})
	b := newBrowser(t, listen(t, app))
	token := b.do(http.MethodGet, "/establish", http.Header{vishnu.DefaultTokenHeader: {""}}).header.Get(vishnu.DefaultTokenHeader)
	if token == "" {
		t.Fatal("a new header session answered no token")
	}
	for range 20 {
		r := b.do(http.MethodGet, "/read", http.Header{vishnu.DefaultTokenHeader: {token}, "X-Theme": {"dark"}})
		if r.body != "user=ada" {
			t.Fatalf("a header session first read on another goroutine: %q, want user=ada", r.body)
		}
	}
}
