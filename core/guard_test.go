package vishnu_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// guardClient is a browser that does not follow redirects, so that the
// guard's own answer is what a test sees.
func guardClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type guardReply struct {
	status int
	header http.Header
	body   string
}

func guardGet(t *testing.T, c *http.Client, url string) guardReply {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return guardReply{resp.StatusCode, resp.Header, string(body)}
}

func newGuard(t *testing.T, m *vishnu.Manager, cfg vishnu.GuardConfig) *vishnu.Guard {
	t.Helper()
	g, err := vishnu.NewGuard(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// guardedApp serves /login (sets user), /logout, and /private behind g.
func guardedApp(m *vishnu.Manager, g *vishnu.Guard) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		report(w, vishnu.FromContext(r.Context()).Set("user", "ann"))
	})
	mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {
		report(w, vishnu.FromContext(r.Context()).Destroy())
	})
	mux.Handle("/private/", g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, _ := vishnu.Get[string](vishnu.FromContext(r.Context()), "user")
		io.WriteString(w, "hello "+user)
	})))
	return m.Handler(mux)
}

func TestGuardDenials(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cfg        vishnu.GuardConfig
		path       string
		status     int
		location   string
		bodyPrefix string
	}{
		{"Default401", vishnu.GuardConfig{Key: "user"}, "/private/a", http.StatusUnauthorized, "", "Unauthorized"},
		{"Status403", vishnu.GuardConfig{Key: "user", Status: http.StatusForbidden}, "/private/a", http.StatusForbidden, "", "Forbidden"},
		{"Redirect", vishnu.GuardConfig{Key: "user", RedirectTo: "/login"}, "/private/a?x=1", http.StatusSeeOther, "/login", ""},
		{"RedirectWithReturn", vishnu.GuardConfig{Key: "user", RedirectTo: "/login?lang=en", ReturnParam: "next"}, "/private/a?x=1", http.StatusSeeOther, "/login?lang=en&next=%2Fprivate%2Fa%3Fx%3D1", ""},
		{"Denied", vishnu.GuardConfig{Key: "user", Denied: func(_ context.Context, target string) vishnu.ErrorResponse {
			return vishnu.ErrorResponse{Status: http.StatusForbidden, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"login":"` + target + `"}`)}
		}}, "/private/a", http.StatusForbidden, "", `{"login":"/private/a"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _ := testConfig(newClock())
			m := newManager(t, cfg)
			base := newServer(t, guardedApp(m, newGuard(t, m, tc.cfg)))
			c := guardClient(t)

			r := guardGet(t, c, base+tc.path)
			if r.status != tc.status || r.header.Get("Location") != tc.location || !strings.HasPrefix(r.body, tc.bodyPrefix) {
				t.Fatalf("anonymous: status %d, Location %q, body %q; want %d, %q, %q…", r.status, r.header.Get("Location"), r.body, tc.status, tc.location, tc.bodyPrefix)
			}
			if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Vary") != "Cookie" {
				t.Errorf("a denial must not be cached for everybody: Cache-Control %q, Vary %q", r.header.Get("Cache-Control"), r.header.Values("Vary"))
			}
			if strings.Contains(r.body, "hello") {
				t.Fatal("the guarded handler ran for an anonymous visitor")
			}

			if r := guardGet(t, c, base+"/login"); r.body != "ok" {
				t.Fatalf("login: %q", r.body)
			}
			if r := guardGet(t, c, base+tc.path); r.status != http.StatusOK || r.body != "hello ann" {
				t.Fatalf("logged in: status %d, body %q; want 200 hello ann", r.status, r.body)
			}
			if r := guardGet(t, c, base+"/logout"); r.body != "ok" {
				t.Fatalf("logout: %q", r.body)
			}
			if r := guardGet(t, c, base+tc.path); r.status != tc.status {
				t.Fatalf("after logout: status %d, want %d", r.status, tc.status)
			}
		})
	}
}

// TestGuardStoreDownIsNotLoggedOut: a session that cannot be loaded gets
// the configured error response, logged once, never the login redirect.
func TestGuardStoreDownIsNotLoggedOut(t *testing.T) {
	cfg, st := testConfig(newClock())
	var logs bytes.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	cfg.ErrorResponse = func(context.Context, error) vishnu.ErrorResponse {
		return vishnu.ErrorResponse{Status: http.StatusServiceUnavailable, Body: []byte("sessions unavailable")}
	}
	m := newManager(t, cfg)
	base := newServer(t, guardedApp(m, newGuard(t, m, vishnu.GuardConfig{Key: "user", RedirectTo: "/login"})))
	c := guardClient(t)
	guardGet(t, c, base+"/login")

	st.down.Store(true)
	r := guardGet(t, c, base+"/private/a")
	if r.status != http.StatusServiceUnavailable || r.body != "sessions unavailable" || r.header.Get("Location") != "" {
		t.Fatalf("store down: status %d, Location %q, body %q; want the configured 503", r.status, r.header.Get("Location"), r.body)
	}
	if n := strings.Count(logs.String(), "session unavailable"); n != 1 {
		t.Errorf("the store failure was logged %d times, want once:\n%s", n, logs.String())
	}
	st.down.Store(false)
	if r := guardGet(t, c, base+"/private/a"); r.body != "hello ann" {
		t.Fatalf("store back: status %d, body %q; the visitor was logged out", r.status, r.body)
	}
}

// TestGuardWithoutMiddleware: a guard that cannot see its session lets
// nobody through.
func TestGuardWithoutMiddleware(t *testing.T) {
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	g := newGuard(t, m, vishnu.GuardConfig{Key: "user"})
	other := newManager(t, cfg) // a manager of its own: m's session is not there
	ran := false
	h := g.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran = true }))
	for name, srv := range map[string]http.Handler{"none": h, "another manager's": other.Handler(h)} {
		r := guardGet(t, guardClient(t), newServer(t, srv)+"/")
		if r.status != http.StatusInternalServerError || ran {
			t.Errorf("%s middleware: status %d, handler ran %v; want 500 and no handler", name, r.status, ran)
		}
	}
}

// TestGuardSeveralManagers: each guard reads its own manager's session.
func TestGuardSeveralManagers(t *testing.T) {
	cfgA, _ := testConfig(newClock())
	cfgA.Cookie.Name = "site"
	cfgB, _ := testConfig(newClock())
	cfgB.Cookie.Name = "admin"
	a, b := newManager(t, cfgA), newManager(t, cfgB)
	siteUser := newGuard(t, a, vishnu.GuardConfig{Key: "user", Status: http.StatusUnauthorized})
	admin := newGuard(t, b, vishnu.GuardConfig{Key: "user", Status: http.StatusForbidden})

	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		m := a
		if r.FormValue("m") == "admin" {
			m = b
		}
		report(w, m.FromContext(r.Context()).Set("user", "ann"))
	})
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "in") })
	mux.Handle("/site", siteUser.Handler(ok))
	mux.Handle("/admin", siteUser.Handler(admin.Handler(ok)))
	base := newServer(t, a.Handler(b.Handler(mux)))
	c := guardClient(t)

	want := func(path string, status int) {
		t.Helper()
		if r := guardGet(t, c, base+path); r.status != status {
			t.Fatalf("GET %s: status %d, want %d", path, r.status, status)
		}
	}
	want("/site", http.StatusUnauthorized)
	want("/admin", http.StatusUnauthorized)
	guardGet(t, c, base+"/login")
	want("/site", http.StatusOK)
	want("/admin", http.StatusForbidden) // site's key does not open admin's guard
	guardGet(t, c, base+"/login?m=admin")
	want("/admin", http.StatusOK)
}

func TestGuardCheck(t *testing.T) {
	cfg, st := testConfig(newClock())
	m := newManager(t, cfg)
	g := newGuard(t, m, vishnu.GuardConfig{Key: "user", RedirectTo: "/login", ReturnParam: "next"})
	if resp, ok := g.Check(nil, "/x"); ok || resp.Status != http.StatusInternalServerError {
		t.Errorf("Check(nil): %d, %v; want the error response", resp.Status, ok)
	}
	var got []string
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		if r.URL.Path == "/login" {
			report(w, s.Set("user", "ann"))
			return
		}
		target := r.URL.RequestURI()
		if r.FormValue("evil") != "" {
			target = "//evil.example/a" // a browser would read it as another host
		}
		resp, ok := g.Check(s, target)
		got = append(got, strings.TrimSpace(http.StatusText(resp.Status)+" "+resp.Header.Get("Location")))
		if !ok {
			w.WriteHeader(resp.Status)
			return
		}
		io.WriteString(w, "in")
	}))
	base := newServer(t, h)
	c := guardClient(t)
	guardGet(t, c, base+"/a")
	guardGet(t, c, base+"/a?evil=1")
	guardGet(t, c, base+"/login")
	guardGet(t, c, base+"/a")
	st.down.Store(true)
	guardGet(t, c, base+"/a")
	want := []string{"See Other /login?next=%2Fa", "See Other /login", "", "Internal Server Error"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Check decided %q, want %q", got, want)
	}
}

func TestNewGuardRejectsBadConfig(t *testing.T) {
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	deny := func(context.Context, string) vishnu.ErrorResponse { return vishnu.ErrorResponse{} }
	for _, tc := range []struct {
		name string
		m    *vishnu.Manager
		cfg  vishnu.GuardConfig
	}{
		{"nil manager", nil, vishnu.GuardConfig{Key: "user"}},
		{"no key", m, vishnu.GuardConfig{}},
		{"reserved key", m, vishnu.GuardConfig{Key: "\x00created"}},
		{"redirect and status", m, vishnu.GuardConfig{Key: "user", RedirectTo: "/login", Status: 403}},
		{"status and denied", m, vishnu.GuardConfig{Key: "user", Status: 403, Denied: deny}},
		{"return without redirect", m, vishnu.GuardConfig{Key: "user", ReturnParam: "next"}},
		{"status not 4xx", m, vishnu.GuardConfig{Key: "user", Status: http.StatusFound}},
		{"bad redirect", m, vishnu.GuardConfig{Key: "user", RedirectTo: "http://[::1"}},
	} {
		if g, err := vishnu.NewGuard(tc.m, tc.cfg); err == nil || g != nil {
			t.Errorf("%s: NewGuard = %v, %v; want an error", tc.name, g, err)
		}
	}
	if _, err := vishnu.NewGuard(m, vishnu.GuardConfig{Key: ""}); !errors.Is(err, vishnu.ErrInvalidKey) {
		t.Errorf("empty key: %v, want ErrInvalidKey", err)
	}
}

func ExampleNewGuard() {
	m, err := vishnu.New(vishnu.Config{Store: vishnu.NewMemoryStore(), Secret: testSecret, Cookie: vishnu.CookieConfig{Insecure: true}})
	if err != nil {
		panic(err)
	}
	loggedIn, err := vishnu.NewGuard(m, vishnu.GuardConfig{Key: "user", RedirectTo: "/login", ReturnParam: "next"})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/account", loggedIn.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, _ := vishnu.Get[string](vishnu.FromContext(r.Context()), "user")
		io.WriteString(w, "hello "+user)
	})))
	srv := httptest.NewServer(m.Handler(mux))
	defer srv.Close()

	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(srv.URL + "/account")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Location"))
	// Output: 303 /login?next=%2Faccount
}
