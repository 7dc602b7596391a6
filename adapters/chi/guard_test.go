package vishnuchi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	vishnuchi "github.com/vishnu-go/vishnu/adapters/chi"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// guardedApp is a chi app with the three ways of guarding routes: one
// route with r.With, a group with r.Group, and a mounted sub-router with
// r.Route. gate, when not nil, holds /account/write until it is closed.
type guardedApp struct {
	m    *vishnu.Manager
	gate chan struct{}
	in   sync.WaitGroup // requests let through /account/write
}

func (a *guardedApp) router(t *testing.T) *chi.Mux {
	loggedIn := newGuard(t, a.m, vishnu.GuardConfig{Key: "user", RedirectTo: "/login", ReturnParam: "next"})
	api := newGuard(t, a.m, vishnu.GuardConfig{Key: "user", Denied: func(_ context.Context, target string) vishnu.ErrorResponse {
		return vishnu.ErrorResponse{Status: http.StatusUnauthorized, Header: http.Header{"Content-Type": {"application/json"}},
			Body: []byte(`{"error":"log in to see ` + target + `"}`)}
	}})
	admin := newGuard(t, a.m, vishnu.GuardConfig{Key: "admin", Status: http.StatusForbidden})

	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	r.Use(vishnuchi.Middleware(a.m))
	r.Get("/login", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		err := s.Set("user", r.FormValue("user"))
		if err == nil && r.FormValue("admin") != "" {
			err = s.Set("admin", true)
		}
		if err == nil {
			err = s.Regenerate()
		}
		answer(w, "logged in", err)
	})
	r.Get("/logout", func(w http.ResponseWriter, r *http.Request) {
		answer(w, "logged out", vishnu.FromContext(r.Context()).Destroy())
	})
	hello := func(w http.ResponseWriter, r *http.Request) {
		user, _ := vishnu.Get[string](vishnu.FromContext(r.Context()), "user")
		io.WriteString(w, "hello "+user)
	}
	r.With(loggedIn.Handler).Get("/account", hello)
	r.With(loggedIn.Handler).Get("/account/write", func(w http.ResponseWriter, r *http.Request) {
		a.in.Done()
		if a.gate != nil {
			<-a.gate
		}
		answer(w, "written", vishnu.FromContext(r.Context()).Set("w"+r.FormValue("i"), true))
	})
	r.Group(func(r chi.Router) {
		r.Use(api.Handler)
		r.Get("/api/me", hello)
	})
	r.Route("/admin", func(r chi.Router) {
		r.Use(loggedIn.Handler, admin.Handler)
		r.Get("/", hello)
	})
	return r
}

func answer(w http.ResponseWriter, ok string, err error) {
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	io.WriteString(w, ok)
}

// TestGuardsOnChi: the guards turn an anonymous visitor away in the way
// each is configured, let a logged-in one through, and turn them away again
// after logout.
func TestGuardsOnChi(t *testing.T) {
	a := &guardedApp{m: newManager(t, nil, "", nil)}
	b := newBrowser(t, serve(t, a.router(t)))

	denied := func(path string, status int, location, body string) {
		t.Helper()
		r := b.get(path)
		if r.status != status || r.header.Get("Location") != location || !strings.Contains(r.body, body) {
			t.Fatalf("GET %s: status %d, Location %q, body %q; want %d, %q, …%s…", path, r.status, r.header.Get("Location"), r.body, status, location, body)
		}
	}
	denied("/account", http.StatusSeeOther, "/login?next=%2Faccount", "")
	denied("/admin/?tab=1", http.StatusSeeOther, "/login?next=%2Fadmin%2F%3Ftab%3D1", "") // the mounted path, whole
	denied("/api/me", http.StatusUnauthorized, "", `{"error":"log in to see /api/me"}`)

	b.expect("/login?user=ann", http.StatusOK, "logged in")
	b.expect("/account", http.StatusOK, "hello ann")
	b.expect("/api/me", http.StatusOK, "hello ann")
	denied("/admin/", http.StatusForbidden, "", "Forbidden") // logged in, but not an admin

	b.expect("/login?user=root&admin=1", http.StatusOK, "logged in")
	b.expect("/admin/", http.StatusOK, "hello root")

	b.expect("/logout", http.StatusOK, "logged out")
	denied("/account", http.StatusSeeOther, "/login?next=%2Faccount", "")
	denied("/api/me", http.StatusUnauthorized, "", "log in")
}

// TestGuardStoreDownOnChi: with the store down the visitor gets the
// configured error response, not the login page, and is still logged in
// once the store is back.
func TestGuardStoreDownOnChi(t *testing.T) {
	st := newStore()
	a := &guardedApp{m: newManager(t, st, "", nil)}
	b := newBrowser(t, serve(t, a.router(t)))
	b.expect("/login?user=ann", http.StatusOK, "logged in")
	st.down.Store(true)
	for _, path := range []string{"/account", "/api/me", "/admin/"} {
		r := b.get(path)
		if r.status != errorStatus || r.body != errorBody || r.header.Get("Location") != "" {
			t.Errorf("GET %s with the store down: status %d, Location %q, body %q; want the error response", path, r.status, r.header.Get("Location"), r.body)
		}
	}
	st.down.Store(false)
	b.expect("/account", http.StatusOK, "hello ann")
}

// TestGuardsSeveralManagersOnChi: a site session and an admin session side
// by side, each with its own cookie and guard; each guard reads its own
// manager's session only.
func TestGuardsSeveralManagersOnChi(t *testing.T) {
	site, admin := newManager(t, nil, "site", nil), newManager(t, nil, "admin", nil)
	siteUser := newGuard(t, site, vishnu.GuardConfig{Key: "user", RedirectTo: "/login"})
	adminUser := newGuard(t, admin, vishnu.GuardConfig{Key: "user", Status: http.StatusForbidden})

	r := chi.NewRouter()
	r.Use(vishnuchi.Middleware(site))
	login := func(m *vishnu.Manager) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			answer(w, "logged in", m.FromContext(r.Context()).Set("user", r.FormValue("user")))
		}
	}
	r.Get("/login", login(site))
	r.With(siteUser.Handler).Get("/account", func(w http.ResponseWriter, r *http.Request) {
		user, _ := vishnu.Get[string](site.FromContext(r.Context()), "user")
		io.WriteString(w, "site "+user)
	})
	r.Route("/admin", func(r chi.Router) {
		r.Use(vishnuchi.Middleware(admin))
		r.Get("/login", login(admin))
		r.Group(func(r chi.Router) {
			r.Use(adminUser.Handler)
			r.Get("/", func(w http.ResponseWriter, r *http.Request) {
				user, _ := vishnu.Get[string](admin.FromContext(r.Context()), "user")
				io.WriteString(w, "admin "+user) // vishnu.FromContext would give the same: admin's is innermost
			})
		})
	})
	b := newBrowser(t, serve(t, r))

	if r := b.get("/admin/"); r.status != http.StatusForbidden {
		t.Fatalf("anonymous /admin/: status %d, want 403", r.status)
	}
	b.expect("/login?user=ann", http.StatusOK, "logged in")
	b.expect("/account", http.StatusOK, "site ann")
	if r := b.get("/admin/"); r.status != http.StatusForbidden {
		t.Fatalf("/admin/ with the site session only: status %d, want 403", r.status)
	}
	b.expect("/admin/login?user=root", http.StatusOK, "logged in")
	b.expect("/admin/", http.StatusOK, "admin root")
	b.expect("/account", http.StatusOK, "site ann") // the admin login left the site session alone
}

// TestGuardRacingLogout: requests let through by the guard are in flight,
// each about to change the session, when the visitor logs out. The logout
// wins: the requests in flight finish without an error and without
// bringing the session back, the old cookie opens nothing afterwards, and
// the requests that arrive after the logout, even with the old cookie, are
// turned away.
func TestGuardRacingLogout(t *testing.T) {
	const inFlight = 40
	a := &guardedApp{m: newManager(t, nil, "", nil), gate: make(chan struct{})}
	base := serve(t, a.router(t))
	b := newBrowser(t, base)
	b.expect("/login?user=ann", http.StatusOK, "logged in")
	u, _ := url.Parse(base)
	var old string
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "vishnu" {
			old = c.Name + "=" + c.Value
		}
	}
	if old == "" {
		t.Fatal("no session cookie after login")
	}

	a.in.Add(inFlight)
	results := make(chan reply, inFlight)
	errs := make(chan error, inFlight)
	for i := range inFlight {
		go func() {
			r, err := b.try(fmt.Sprintf("/account/write?i=%d", i))
			if err != nil {
				errs <- err
				return
			}
			results <- r
		}()
	}
	a.in.Wait() // every one has passed the guard and waits at the gate
	b.expect("/logout", http.StatusOK, "logged out")
	close(a.gate)
	for range inFlight {
		select {
		case err := <-errs:
			t.Fatal(err)
		case r := <-results:
			if r.status != http.StatusOK || r.body != "written" {
				t.Errorf("a request in flight during the logout: status %d, body %q; want 200 written", r.status, r.body)
			}
			if sc := r.header.Values("Set-Cookie"); len(sc) > 0 {
				t.Errorf("a request in flight during the logout set a cookie after it: %q", sc)
			}
		}
	}

	if r := b.get("/account"); r.status != http.StatusSeeOther {
		t.Errorf("after logout: status %d, body %q; want the redirect to login", r.status, r.body)
	}
	// Other tabs, still holding the old cookie, race each other after the
	// logout: none gets in.
	var wg sync.WaitGroup
	for range inFlight {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, base+"/account", nil)
			req.Header.Set("Cookie", old)
			resp, err := b.c.Transport.RoundTrip(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther {
				t.Errorf("the old cookie after logout: status %d, want the redirect to login", resp.StatusCode)
			}
		})
	}
	wg.Wait()
}

// TestGuardRacingLogoutFree: the same without gates: guarded writes and a
// logout sent at once, in any order the scheduler picks. Every answer is a
// pass or a denial, never an error, and afterwards the session is gone.
func TestGuardRacingLogoutFree(t *testing.T) {
	const writers = 100
	a := &guardedApp{m: newManager(t, nil, "", nil)}
	a.in.Add(writers)
	base := serve(t, a.router(t))
	for round := range 5 {
		b := newBrowser(t, base)
		b.expect("/login?user=ann", http.StatusOK, "logged in")
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				r, err := b.try(fmt.Sprintf("/account/write?i=%d", i))
				switch {
				case err != nil:
					t.Error(err)
				case r.status == http.StatusOK && r.body == "written":
				case r.status == http.StatusSeeOther:
					a.in.Done() // turned away: the handler did not count it
				default:
					t.Errorf("round %d: status %d, body %q; want a pass or the redirect", round, r.status, r.body)
				}
			})
			if i == writers/2 {
				wg.Go(func() {
					if r, err := b.try("/logout"); err != nil || r.body != "logged out" {
						t.Errorf("round %d: logout: %v, %q", round, err, r.body)
					}
				})
			}
		}
		wg.Wait()
		if r := b.get("/account"); r.status != http.StatusSeeOther {
			t.Fatalf("round %d, after the race: status %d, body %q; the logout was undone", round, r.status, r.body)
		}
		a.in.Add(writers)
	}
}

// TestGuardStoreDownThroughWrappers: with chi's writer wrappers between the
// session middleware and the guard, a store failure is still the error
// response, logged once (the guard reaches the session's commit point
// through their Unwrap).
func TestGuardStoreDownThroughWrappers(t *testing.T) {
	st := newStore()
	logs := new(logBuffer)
	m := newManager(t, st, "", logs)
	loggedIn := newGuard(t, m, vishnu.GuardConfig{Key: "user", RedirectTo: "/login"})
	r := chi.NewRouter()
	r.Use(vishnuchi.Middleware(m), quietLogger, middleware.Compress(5))
	sessionRoutes(r)
	r.With(loggedIn.Handler).Get("/account", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "in") })
	b := newBrowser(t, serve(t, r))
	b.expect("/set?k=user&v=ann", http.StatusOK, "ok")
	b.expect("/account", http.StatusOK, "in")
	st.down.Store(true)
	if res := b.get("/account"); res.status != errorStatus || res.body != errorBody {
		t.Fatalf("store down: status %d, body %q; want the error response", res.status, res.body)
	}
	if n := strings.Count(logs.String(), "session unavailable"); n != 1 {
		t.Errorf("the store failure was logged %d times, want once:\n%s", n, logs)
	}
}
