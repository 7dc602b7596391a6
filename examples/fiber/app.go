package main

import (
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	vishnufiber "github.com/vishnu-go/vishnu/adapters/fiber"
	vishnu "github.com/vishnu-go/vishnu/core"
	"github.com/vishnu-go/vishnu/examples/pages"
)

// newApp returns the app: its routes behind Vishnu's middleware, behind
// cross-origin protection.
func newApp(m *vishnu.Manager, log *slog.Logger) *fiber.App {
	app := fiber.New(fiber.Config{
		DisableStartupMessage: true,
		// fasthttp's default (4096) answers 431 to a request whose headers
		// do not fit; 8192 leaves room for a 4096-byte cookie (the cookie
		// store's limit) and a browser's other headers.
		ReadBufferSize: 8192,
		// Timeouts so that slow or idle clients cannot hold connections
		// forever; the zero values mean no limit at all.
		ReadTimeout:  10 * time.Second,
		WriteTimeout: 10 * time.Second,
		IdleTimeout:  60 * time.Second,
		ErrorHandler: errorPage(log),
	})
	// CSRF defence first: POSTs from another site are refused before they
	// reach the session, login CSRF included, with no token to keep.
	app.Use(sameOrigin)
	app.Use(vishnufiber.Middleware(m))
	app.Get("/", home)
	app.Post("/login", login)
	app.Post("/logout", logout)
	// Other paths (favicon.ico) get fiber's 404 without the session being
	// read: an untouched session costs nothing.
	return app
}

func home(c *fiber.Ctx) error {
	d, err := pages.Home(vishnufiber.Session(c))
	if err != nil {
		return err
	}
	return render(c, d)
}

func login(c *fiber.Ctx) error {
	s := vishnufiber.Session(c)
	name, problem, ok := pages.LoginName(c.FormValue("username"))
	if !ok {
		return flashAndRedirect(c, problem)
	}
	if err := pages.Login(s, name, c.FormValue("remember") != ""); err != nil {
		return err
	}
	return c.Redirect("/", fiber.StatusSeeOther)
}

func logout(c *fiber.Ctx) error {
	// Destroy deletes the record now, so a copy of the old cookie is
	// worthless. The session is then empty and new; the flash below starts
	// a fresh one, whose cookie replaces the old.
	if err := vishnufiber.Session(c).Destroy(); err != nil {
		return err
	}
	return flashAndRedirect(c, "Logged out")
}

// flashAndRedirect leaves msg for the next page and sends the browser there
// with a GET (303), so reloading it does not post the form again.
func flashAndRedirect(c *fiber.Ctx, msg string) error {
	if err := vishnufiber.Session(c).Flash(pages.KeyFlash, msg); err != nil {
		return err
	}
	return c.Redirect("/", fiber.StatusSeeOther)
}
