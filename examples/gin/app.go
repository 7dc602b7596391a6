package main

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	vishnugin "github.com/vishnu-go/vishnu/adapters/gin"
	vishnu "github.com/vishnu-go/vishnu/core"
	"github.com/vishnu-go/vishnu/examples/pages"
)

type app struct {
	m   *vishnu.Manager
	log *slog.Logger
}

// newApp returns the demo's handler: its routes on gin behind Vishnu's
// middleware, behind cross-origin protection.
func newApp(m *vishnu.Manager, log *slog.Logger) http.Handler {
	a := &app{m: m, log: log}
	r := gin.New()
	// Recovery outside the sessions: a handler that panics gets gin's 500
	// and commits nothing.
	r.Use(gin.Recovery(), vishnugin.Middleware(m))
	r.GET("/", a.home)
	r.POST("/login", a.login)
	r.POST("/logout", a.logout)
	// CSRF defence: browsers say where a request comes from (Sec-Fetch-Site,
	// Origin), and POSTs from another site are refused before they reach
	// gin. That covers login CSRF too, with no token to keep in the session
	// or in every form. Other paths (favicon.ico) get gin's 404 without the
	// session being read: an untouched session costs nothing.
	return http.NewCrossOriginProtection().Handler(r)
}

func (a *app) home(c *gin.Context) {
	d, err := pages.Home(vishnugin.Session(c))
	if err != nil {
		a.fail(c, err)
		return
	}
	a.render(c, d)
}

func (a *app) login(c *gin.Context) {
	s := vishnugin.Session(c)
	name, problem, ok := pages.LoginName(c.PostForm("username"))
	if !ok {
		a.flashAndRedirect(c, problem)
		return
	}
	if err := pages.Login(s, name, c.PostForm("remember") != ""); err != nil {
		a.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/")
}

func (a *app) logout(c *gin.Context) {
	// Destroy deletes the record now, so a copy of the old cookie is
	// worthless. The session is then empty and new; the flash below starts
	// a fresh one, whose cookie replaces the old.
	if err := vishnugin.Session(c).Destroy(); err != nil {
		a.fail(c, err)
		return
	}
	a.flashAndRedirect(c, "Logged out")
}

// flashAndRedirect leaves msg for the next page and sends the browser there
// with a GET (303), so reloading it does not post the form again.
func (a *app) flashAndRedirect(c *gin.Context, msg string) {
	if err := vishnugin.Session(c).Flash(pages.KeyFlash, msg); err != nil {
		a.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/")
}

// fail answers a session method's error with the manager's error response,
// and records it for gin's logger.
func (a *app) fail(c *gin.Context, err error) {
	_ = c.Error(err)
	c.Abort()
	a.m.HandleError(c.Writer, c.Request, err)
}
