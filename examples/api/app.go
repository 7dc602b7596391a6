package main

import (
	"encoding/json"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"strings"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// The app has two front doors to one store of sessions: web pages, whose
// session is a cookie, and a JSON API, whose session token travels in
// "Authorization: Bearer". Each has a Manager of its own:
//
//   - A new session's token goes to one place, and a browser needs it in a
//     cookie while an API client needs it in a header.
//   - The API never reads the cookie: a cookie is sent by the browser on
//     requests another site starts, so an API that accepted it would need a
//     CSRF defence. Reading only a header, which no other site can make a
//     browser send, it needs none. The pages keep theirs
//     (http.CrossOriginProtection, beside SameSite=Lax).
//   - Each token is signed for its own name ("web" or "api"), so neither
//     Manager accepts the other's.
//
// Sharing the store keeps one list of a user's sessions, web and API
// alike (Session.Login, Manager.UserSessions).

// managers returns the web and API managers over one store.
func managers(secret []byte, insecure bool, log *slog.Logger) (web, api *vishnu.Manager, err error) {
	store := vishnu.NewMemoryStore()
	web, err = vishnu.New(vishnu.Config{
		Store:  store,
		Secret: secret,
		Cookie: vishnu.CookieConfig{Name: "web", Insecure: insecure},
		Logger: log,
	})
	if err != nil {
		return nil, nil, err
	}
	api, err = vishnu.New(vishnu.Config{
		Store:  store,
		Secret: secret,
		// Only the name of the cookie counts: API tokens are signed for it.
		Cookie:  vishnu.CookieConfig{Name: "api"},
		Token:   vishnu.TokenConfig{Sources: []vishnu.TokenSource{vishnu.TokenInBearer}},
		Timeout: 30 * 24 * time.Hour,
		Logger:  log,
	})
	return web, api, err
}

type app struct {
	web, api *vishnu.Manager
	log      *slog.Logger
}

// newApp returns the app's handler: the pages under web's middleware and
// cross-origin protection, the API under /api/ with api's middleware only.
func newApp(web, api *vishnu.Manager, log *slog.Logger) http.Handler {
	a := &app{web: web, api: api, log: log}
	pages := http.NewServeMux()
	pages.HandleFunc("GET /{$}", a.home)
	pages.HandleFunc("POST /login", a.webLogin)
	pages.HandleFunc("POST /logout", a.webLogout)

	apiMux := http.NewServeMux()
	apiMux.HandleFunc("POST /api/login", a.apiLogin)
	apiMux.HandleFunc("GET /api/me", a.apiMe)
	apiMux.HandleFunc("POST /api/logout", a.apiLogout)

	mux := http.NewServeMux()
	mux.Handle("/", http.NewCrossOriginProtection().Handler(web.Handler(pages)))
	mux.Handle("/api/", api.Handler(apiMux))
	return mux
}

// Web pages ---------------------------------------------------------------

func (a *app) home(w http.ResponseWriter, r *http.Request) {
	s := vishnu.FromContext(r.Context())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	user := s.User()
	if user == "" {
		fmt.Fprint(w, `<form method="post" action="/login"><input name="user"><button>Sign in</button></form>`)
		return
	}
	list, err := a.web.UserSessions(r.Context(), user, s)
	if err != nil {
		a.web.HandleError(w, r, err)
		return
	}
	fmt.Fprintf(w, "<p>Signed in as %s. Sessions, web and API: %d.</p>", html.EscapeString(user), len(list))
	fmt.Fprint(w, `<form method="post" action="/logout"><button>Sign out</button></form>`)
}

func (a *app) webLogin(w http.ResponseWriter, r *http.Request) {
	user := strings.TrimSpace(r.PostFormValue("user"))
	if user == "" {
		http.Error(w, "a name is needed", http.StatusBadRequest)
		return
	}
	if err := vishnu.FromContext(r.Context()).Login(user, "browser"); err != nil {
		a.web.HandleError(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *app) webLogout(w http.ResponseWriter, r *http.Request) {
	if err := vishnu.FromContext(r.Context()).Destroy(); err != nil {
		return // the middleware sends the error response
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// JSON API ----------------------------------------------------------------

// me is the API's answer: who the token belongs to.
type me struct {
	User string `json:"user"`
}

func (a *app) apiLogin(w http.ResponseWriter, r *http.Request) {
	var in me
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<10)).Decode(&in); err != nil || strings.TrimSpace(in.User) == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want {\"user\": \"name\"}"})
		return
	}
	// The new token goes out in the X-Session-Token response header.
	if err := vishnu.FromContext(r.Context()).Login(strings.TrimSpace(in.User), "API client"); err != nil {
		a.api.HandleError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, me{User: strings.TrimSpace(in.User)})
}

func (a *app) apiMe(w http.ResponseWriter, r *http.Request) {
	user := vishnu.FromContext(r.Context()).User()
	if user == "" {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "no session"})
		return
	}
	writeJSON(w, http.StatusOK, me{User: user})
}

func (a *app) apiLogout(w http.ResponseWriter, r *http.Request) {
	// X-Session-Token comes back empty: the client forgets its token.
	if err := vishnu.FromContext(r.Context()).Destroy(); err != nil {
		return // the middleware sends the error response
	}
	w.WriteHeader(http.StatusNoContent)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
