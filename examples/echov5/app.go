package main

import (
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
	vishnuechov5 "github.com/vishnu-go/vishnu/adapters/echov5"
	vishnu "github.com/vishnu-go/vishnu/core"
	"github.com/vishnu-go/vishnu/examples/pages"
)

// newApp returns the app: its routes behind Vishnu's middleware, behind
// Recover, Secure and cross-origin protection.
func newApp(m *vishnu.Manager, log *slog.Logger) *echo.Echo {
	e := echo.New()
	e.Logger = log
	e.HTTPErrorHandler = errorPage(log)
	// A panic becomes an error for errorPage, which logs it with its stack.
	e.Use(middleware.Recover())
	// Around the session middleware, so that its headers stay on every
	// response, the session's error response included.
	e.Use(middleware.Secure())
	// CSRF defence: browsers say where a request comes from (Sec-Fetch-Site,
	// Origin), and POSTs from another site are refused before they reach the
	// session, login CSRF included, with no token to keep in the session.
	e.Use(echo.WrapMiddleware(http.NewCrossOriginProtection().Handler))
	e.Use(vishnuechov5.Middleware(m))
	e.GET("/", home)
	e.POST("/login", login)
	e.POST("/logout", logout)
	// Other paths (favicon.ico) get echo's 404 without the session being
	// read: an untouched session costs nothing.
	return e
}

func home(c *echo.Context) error {
	d, err := pages.Home(vishnuechov5.Session(c))
	if err != nil {
		return err
	}
	return render(c, d)
}

func login(c *echo.Context) error {
	s := vishnuechov5.Session(c)
	name, problem, ok := pages.LoginName(c.FormValue("username"))
	if !ok {
		return flashAndRedirect(c, problem)
	}
	if err := pages.Login(s, name, c.FormValue("remember") != ""); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

func logout(c *echo.Context) error {
	// Destroy deletes the record now, so a copy of the old cookie is
	// worthless. The session is then empty and new; the flash below starts
	// a fresh one, whose cookie replaces the old.
	if err := vishnuechov5.Session(c).Destroy(); err != nil {
		return err
	}
	return flashAndRedirect(c, "Logged out")
}

// flashAndRedirect leaves msg for the next page and sends the browser there
// with a GET (303), so reloading it does not post the form again.
func flashAndRedirect(c *echo.Context, msg string) error {
	if err := vishnuechov5.Session(c).Flash(pages.KeyFlash, msg); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/")
}
