package main

import (
	"errors"
	"log/slog"
	"net/http"

	vishnu "github.com/vishnu-go/vishnu/core"
	"github.com/vishnu-go/vishnu/examples/pages"
)

type app struct {
	m   *vishnu.Manager
	log *slog.Logger
}

// newApp returns the demo's handler: its routes behind Vishnu's middleware,
// behind cross-origin protection.
func newApp(m *vishnu.Manager) http.Handler {
	a := &app{m: m, log: slog.Default()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /logout", a.logout)
	// CSRF defence: browsers say where a request comes from (Sec-Fetch-Site,
	// Origin), and POSTs from another site are refused before they reach the
	// session. That covers login CSRF too, with no token to keep in the
	// session or in every form. Other paths (favicon.ico) get a 404 without
	// the session being read: an untouched session costs nothing.
	return http.NewCrossOriginProtection().Handler(m.Handler(mux))
}

func (a *app) home(w http.ResponseWriter, r *http.Request) {
	d, err := pages.Home(vishnu.FromContext(r.Context()))
	if err != nil {
		a.m.HandleError(w, r, err)
		return
	}
	a.render(w, d)
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	s := vishnu.FromContext(r.Context())
	name, problem, ok := pages.LoginName(r.PostFormValue("username"))
	if !ok {
		a.flashAndRedirect(w, r, problem)
		return
	}
	err := errors.Join(
		s.Set(pages.KeyUser, name),
		s.SetTimeout(pages.LoginTimeout(r.PostFormValue("remember") != "")),
		s.Flash(pages.KeyFlash, "Welcome, "+name),
	)
	if err == nil {
		// A new token at login defeats session fixation: a cookie planted in
		// the browser before login (or seen by anyone then) names a deleted
		// record afterwards. Regenerate saves, so it comes last and the
		// user, timeout and flash are written once, under the new token only.
		err = s.Regenerate()
	}
	if err != nil {
		a.m.HandleError(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	s := vishnu.FromContext(r.Context())
	// Destroy deletes the record now, so a copy of the old cookie is
	// worthless. The session is then empty and new; the flash below starts
	// a fresh one, whose cookie replaces the old.
	if err := s.Destroy(); err != nil {
		a.m.HandleError(w, r, err)
		return
	}
	a.flashAndRedirect(w, r, "Logged out")
}

// flashAndRedirect leaves msg for the next page and sends the browser there
// with a GET (303), so reloading it does not post the form again.
func (a *app) flashAndRedirect(w http.ResponseWriter, r *http.Request, msg string) {
	if err := vishnu.FromContext(r.Context()).Flash(pages.KeyFlash, msg); err != nil {
		a.m.HandleError(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
