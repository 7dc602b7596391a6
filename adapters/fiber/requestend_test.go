package vishnufiber_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v2"
	vishnu "github.com/vishnu-go/vishnu/core"

	vishnufiber "github.com/vishnu-go/vishnu/adapters/fiber"
)

// TestPageWithoutSession: a page that never asks for its session is served
// as the handler wrote it, with no session cookie, and the session of the
// browser is untouched by it.
func TestPageWithoutSession(t *testing.T) {
	m := newManager(t, func(c *vishnu.Config) { c.AutoSave = true })
	app := newApp()
	app.Use(vishnufiber.Middleware(m))
	app.Get("/establish", func(c *fiber.Ctx) error { return vishnufiber.Session(c).Set("user", "ada") })
	app.Get("/plain", func(c *fiber.Ctx) error { return c.SendString("plain") })
	app.Get("/get", func(c *fiber.Ctx) error {
		v, _ := vishnu.Get[string](vishnufiber.Session(c), "user")
		return c.SendString(v)
	})
	b := newBrowser(t, listen(t, app))
	r := b.get("/plain")
	if r.status != http.StatusOK || r.body != "plain" || len(r.sessionCookies(m.CookieName())) != 0 {
		t.Fatalf("GET /plain without a session: %d %q, session cookies %q; want 200 \"plain\" and none",
			r.status, r.body, r.sessionCookies(m.CookieName()))
	}
	b.get("/establish")
	r = b.get("/plain")
	if r.status != http.StatusOK || r.body != "plain" || len(r.sessionCookies(m.CookieName())) != 0 {
		t.Fatalf("GET /plain with a session: %d %q, session cookies %q; want 200 \"plain\" and none",
			r.status, r.body, r.sessionCookies(m.CookieName()))
	}
	if r := b.get("/get"); r.body != "ada" {
		t.Errorf("after a page that did not use it, the session holds user=%q, want ada", r.body)
	}
}

// TestErrorHandlerChangesAfterUse: a handler that used the session and then
// returned an error is rendered by fiber's ErrorHandler, which runs after
// the chain, on the same request: the request has not ended yet, and a
// change the ErrorHandler makes to the existing session is kept.
func TestErrorHandlerChangesAfterUse(t *testing.T) {
	m := newManager(t, func(c *vishnu.Config) { c.AutoSave = true })
	app := fiber.New(fiber.Config{
		DisableStartupMessage: true,
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			if serr := vishnufiber.Session(c).Set("lastError", err.Error()); serr != nil {
				return c.Status(fiber.StatusInternalServerError).SendString("session: " + serr.Error())
			}
			return c.Status(fiber.StatusBadRequest).SendString("rendered: " + err.Error())
		},
	})
	app.Use(vishnufiber.Middleware(m))
	app.Get("/establish", func(c *fiber.Ctx) error { return vishnufiber.Session(c).Set("user", "ada") })
	app.Get("/fail", func(c *fiber.Ctx) error {
		if err := vishnufiber.Session(c).Set("attempts", 1); err != nil {
			return c.Status(fiber.StatusInternalServerError).SendString("session: " + err.Error())
		}
		return errors.New("bad input")
	})
	app.Get("/get", func(c *fiber.Ctx) error {
		s := vishnufiber.Session(c)
		attempts, _ := vishnu.Get[int](s, "attempts")
		lastError, _ := vishnu.Get[string](s, "lastError")
		return c.JSON(fiber.Map{"attempts": attempts, "lastError": lastError})
	})
	b := newBrowser(t, listen(t, app))
	b.get("/establish")
	if r := b.get("/fail"); r.status != fiber.StatusBadRequest || r.body != "rendered: bad input" {
		t.Fatalf("GET /fail: %d %q, want 400 \"rendered: bad input\"", r.status, r.body)
	}
	if r, want := b.get("/get"), `{"attempts":1,"lastError":"bad input"}`; r.body != want {
		t.Errorf("after a handler set attempts=1 and returned an error that fiber's ErrorHandler rendered, setting lastError: the session holds %s, want %s", r.body, want)
	}
}
