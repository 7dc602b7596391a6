package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	vishnuchi "github.com/vishnu-go/vishnu/adapters/chi"
	vishnu "github.com/vishnu-go/vishnu/core"
	"github.com/vishnu-go/vishnu/examples/pages"
)

type app struct {
	m   *vishnu.Manager
	log *slog.Logger
}

// newApp returns the demo's chi router. The middleware order is the one
// the adapter's README gives: recovery and cross-origin protection outside
// the session middleware, the timeout inside it.
func newApp(m *vishnu.Manager, log *slog.Logger) (http.Handler, error) {
	a := &app{m: m, log: log}
	loggedIn, err := vishnu.NewGuard(m, vishnu.GuardConfig{Key: pages.KeyUser, RedirectTo: "/"})
	if err != nil {
		return nil, err
	}

	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	// CSRF defence: browsers say where a request comes from (Sec-Fetch-Site,
	// Origin), and POSTs from another site are refused before they reach
	// the session, login CSRF included, with no token to keep.
	r.Use(http.NewCrossOriginProtection().Handler)
	r.Use(vishnuchi.Middleware(m))
	r.Use(middleware.Timeout(10 * time.Second))

	r.Get("/", a.home)
	r.Post("/login", a.login)
	// Only a logged-in visitor has an account page; anybody else is sent
	// to the home page and its login form.
	r.With(loggedIn.Handler).Get("/account", a.account)
	r.Post("/logout", a.logout)
	// Other paths (favicon.ico) get chi's 404 without the session being
	// read: an untouched session costs nothing.
	return r, nil
}

func (a *app) home(w http.ResponseWriter, r *http.Request) {
	d, err := pages.Home(vishnu.FromContext(r.Context()))
	if err != nil {
		a.m.HandleError(w, r, err)
		return
	}
	pages.WriteHTML(w, d, a.log)
}

func (a *app) account(w http.ResponseWriter, r *http.Request) {
	user, _ := vishnu.Get[string](vishnu.FromContext(r.Context()), pages.KeyUser)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintf(w, "The account of %s.\n", user)
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	s := vishnu.FromContext(r.Context())
	name, problem, ok := pages.LoginName(r.PostFormValue("username"))
	if !ok {
		a.flashAndRedirect(w, r, problem)
		return
	}
	if err := pages.Login(s, name, r.PostFormValue("remember") != ""); err != nil {
		a.m.HandleError(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	// Destroy deletes the record now, so a copy of the old cookie is
	// worthless; the flash below starts a fresh session.
	if err := vishnu.FromContext(r.Context()).Destroy(); err != nil {
		a.m.HandleError(w, r, err)
		return
	}
	a.flashAndRedirect(w, r, "Logged out")
}

// flashAndRedirect leaves msg for the next page and sends the browser there
// with a GET (303), so that reloading it does not post the form again.
func (a *app) flashAndRedirect(w http.ResponseWriter, r *http.Request, msg string) {
	if err := vishnu.FromContext(r.Context()).Flash(pages.KeyFlash, msg); err != nil {
		a.m.HandleError(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
