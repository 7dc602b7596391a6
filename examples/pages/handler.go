package pages

import (
	"errors"
	"log/slog"
	"net/http"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// app holds the handlers of Handler's routes.
type app struct {
	m   *vishnu.Manager
	log *slog.Logger
}

// Handler returns the pages on net/http, for the example apps that use no
// framework whatever store their sessions are in: the routes behind m's
// middleware, behind cross-origin protection. log gets what the page could
// not render.
func Handler(m *vishnu.Manager, log *slog.Logger) http.Handler {
	a := &app{m: m, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("POST /sessions/end", a.endSession)
	mux.HandleFunc("POST /sessions/end-others", a.endOtherSessions)
	// CSRF defence: browsers say where a request comes from (Sec-Fetch-Site,
	// Origin), and POSTs from another site are refused before they reach the
	// session. That covers login CSRF too, with no token to keep in the
	// session or in every form. Other paths (favicon.ico) get a 404 without
	// the session being read: an untouched session costs nothing.
	return http.NewCrossOriginProtection().Handler(m.Handler(mux))
}

// home counts the visit and, for a user, lists their sessions.
func (a *app) home(w http.ResponseWriter, r *http.Request) {
	s := vishnu.FromContext(r.Context())
	d, err := Home(s)
	if err == nil && d.User != "" {
		d.Sessions, err = a.m.UserSessions(r.Context(), d.User, s)
	}
	if err != nil {
		a.m.HandleError(w, r, err)
		return
	}
	WriteHTML(w, d, a.log)
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	s := vishnu.FromContext(r.Context())
	name, problem, ok := LoginName(r.PostFormValue("username"))
	if !ok {
		a.flashAndRedirect(w, r, problem)
		return
	}
	err := errors.Join(
		s.Set(KeyUser, name),
		s.SetTimeout(LoginTimeout(r.PostFormValue("remember") != "")),
		s.Flash(KeyFlash, "Welcome, "+name),
	)
	if err == nil {
		// Login gives the session a new token, which defeats session
		// fixation (a cookie planted in the browser before login names a
		// deleted record afterwards), and lists it among the user's
		// sessions. It saves, so it comes last and the user, timeout and
		// flash are written once, under the new token only.
		err = s.Login(name, Device(r.UserAgent()))
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
	if err := vishnu.FromContext(r.Context()).Flash(KeyFlash, msg); err != nil {
		a.m.HandleError(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
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
