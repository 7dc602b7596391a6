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
// behind cross-origin protection (which refuses cross-site POSTs, login
// CSRF included, before they reach the session).
func newApp(m *vishnu.Manager, log *slog.Logger) http.Handler {
	a := &app{m: m, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("POST /sessions/end", a.endSession)
	mux.HandleFunc("POST /sessions/end-others", a.endOtherSessions)
	return http.NewCrossOriginProtection().Handler(m.Handler(mux))
}

// home counts the visit and, for a user, lists their sessions from the
// store's index of sessions per user.
func (a *app) home(w http.ResponseWriter, r *http.Request) {
	s := vishnu.FromContext(r.Context())
	d, err := pages.Home(s)
	if err == nil && d.User != "" {
		d.Sessions, err = a.m.UserSessions(r.Context(), d.User, s)
	}
	if err != nil {
		a.m.HandleError(w, r, err)
		return
	}
	pages.WriteHTML(w, d, a.log)
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
		// A new token (no session fixation), listed among the user's
		// sessions; it saves, so it comes last.
		err = s.Login(name, pages.DeviceLabel(r.UserAgent()))
	}
	if err != nil {
		a.m.HandleError(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	if err := vishnu.FromContext(r.Context()).Destroy(); err != nil {
		a.m.HandleError(w, r, err)
		return
	}
	a.flashAndRedirect(w, r, "Logged out")
}

// endSession ends one of the user's other sessions (a lost phone): its next
// request has no session.
func (a *app) endSession(w http.ResponseWriter, r *http.Request) {
	s := vishnu.FromContext(r.Context())
	if err := a.m.EndUserSession(r.Context(), s.User(), r.PostFormValue("id")); err != nil {
		a.m.HandleError(w, r, err)
		return
	}
	a.flashAndRedirect(w, r, "Session ended")
}

// endOtherSessions signs the user out everywhere but in this browser, as a
// password change would.
func (a *app) endOtherSessions(w http.ResponseWriter, r *http.Request) {
	s := vishnu.FromContext(r.Context())
	if err := a.m.EndUserSessions(r.Context(), s.User(), s); err != nil {
		a.m.HandleError(w, r, err)
		return
	}
	a.flashAndRedirect(w, r, "Signed out everywhere else")
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
