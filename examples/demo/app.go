package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// Session keys of the demo.
const (
	keyVisits = "visits"
	keyUser   = "user"
	keyFlash  = "flash"
)

const (
	// rememberFor is the session timeout when "remember me" is ticked.
	rememberFor = 30 * 24 * time.Hour
	// maxNameLen bounds what a visitor can make the server keep.
	maxNameLen = 64
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
	s := vishnu.FromContext(r.Context())
	visits, _ := vishnu.Get[int](s, keyVisits)
	visits++
	if err := s.Set(keyVisits, visits); err != nil {
		a.m.HandleError(w, r, err)
		return
	}
	user, _ := vishnu.Get[string](s, keyUser)
	flash, _ := vishnu.PopFlash[string](s, keyFlash) // read once: gone on the next page
	a.render(w, pageData{
		Visits:     visits,
		User:       user,
		IsNew:      s.IsNew(),
		Timeout:    describeTimeout(s.Timeout()),
		Flash:      flash,
		MaxNameLen: maxNameLen,
	})
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	s := vishnu.FromContext(r.Context())
	name := strings.TrimSpace(r.PostFormValue("username"))
	if name == "" || utf8.RuneCountInString(name) > maxNameLen {
		a.flashAndRedirect(w, r, fmt.Sprintf("Please enter a name (1 to %d characters).", maxNameLen))
		return
	}
	timeout := vishnu.UntilBrowserCloses // a cookie without Max-Age
	if r.PostFormValue("remember") != "" {
		timeout = rememberFor
	}
	err := errors.Join(
		s.Set(keyUser, name),
		s.SetTimeout(timeout),
		s.Flash(keyFlash, "Welcome, "+name),
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
	if err := vishnu.FromContext(r.Context()).Flash(keyFlash, msg); err != nil {
		a.m.HandleError(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
