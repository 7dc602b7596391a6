package pagestest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vishnu-go/vishnu/examples/pages"
)

// Start starts an app for a test, stops it when the test ends, and returns
// its base URL ("http://127.0.0.1:port").
type Start func(t *testing.T) string

// Story walks the app as a visitor does: visits, login with a new cookie,
// the welcome flash, logout, and what a planted or stolen cookie is worth at
// each step.
func Story(t *testing.T, start Start) {
	t.Helper()
	base := start(t)
	b := NewBrowser(t, base)

	p := b.Home()
	Expect(t, p, map[string]string{"visits": "1", "is-new": "yes, started by this request",
		"timeout": "20 minutes", "user": "not logged in", "flash": ""})
	c := SessionCookie(p.Resp)
	if c == nil || c.MaxAge < 19*60 || c.MaxAge > 20*60 || !c.HttpOnly || c.Secure || c.SameSite != http.SameSiteLaxMode {
		t.Fatalf("first visit's cookie = %v; want HttpOnly, not Secure, SameSite=Lax, Max-Age about 20 minutes", c)
	}
	Expect(t, b.Home(), map[string]string{"visits": "2", "is-new": "no"})
	Expect(t, b.Home(), map[string]string{"visits": "3", "is-new": "no"})

	// Session fixation: whoever holds the pre-login cookie must not be
	// logged in when the visitor logs in.
	preLogin := b.Cookie()
	resp := b.Post("/login", url.Values{"username": {"alice"}})
	c = SessionCookie(resp)
	if c == nil || c.Value == preLogin {
		t.Fatalf("login sets cookie %v; want a new value (regenerated)", c)
	}
	if c.MaxAge != 0 || !c.Expires.IsZero() {
		t.Errorf("login without remember me: cookie has Max-Age %d, Expires %v; want a browser-session cookie", c.MaxAge, c.Expires)
	}

	Expect(t, b.Home(), map[string]string{"flash": "Welcome, alice", "user": "alice", "visits": "4",
		"is-new": "no", "timeout": "until the browser closes"})
	Expect(t, b.Home(), map[string]string{"flash": "", "user": "alice", "visits": "5"})

	attacker := NewBrowser(t, base)
	attacker.SetCookie(preLogin)
	Expect(t, attacker.Home(), map[string]string{"user": "not logged in", "visits": "1", "is-new": "yes, started by this request"})

	// Logout: the logged-in cookie is replaced, and a copy of it is dead.
	loggedIn := b.Cookie()
	resp = b.Post("/logout", nil)
	if c = SessionCookie(resp); c == nil || c.Value == loggedIn {
		t.Fatalf("logout sets cookie %v; want the logged-in cookie replaced", c)
	}
	if b.Cookie() == loggedIn {
		t.Fatal("the jar still holds the logged-in cookie after logout")
	}
	Expect(t, b.Home(), map[string]string{"flash": "Logged out", "user": "not logged in", "visits": "1",
		"timeout": "20 minutes"})
	Expect(t, b.Home(), map[string]string{"flash": "", "user": "not logged in", "visits": "2"})

	thief := NewBrowser(t, base)
	thief.SetCookie(loggedIn)
	Expect(t, thief.Home(), map[string]string{"user": "not logged in", "visits": "1", "is-new": "yes, started by this request"})
}

// RememberMe: a login with the box ticked gets a 30-day cookie, one without
// it a browser-session cookie, and logout ends the long session.
func RememberMe(t *testing.T, start Start) {
	t.Helper()
	b := NewBrowser(t, start(t))
	b.Home()
	begin := time.Now()
	resp := b.Post("/login", url.Values{"username": {"bob"}, "remember": {"1"}})
	c := SessionCookie(resp)
	const want = int(pages.RememberFor / time.Second)
	if c == nil || c.MaxAge < want-60 || c.MaxAge > want {
		t.Fatalf("login with remember me sets cookie %v; want Max-Age about %d (30 days)", c, want)
	}
	if d := c.Expires.Sub(begin.Add(pages.RememberFor)); d < -time.Minute || d > time.Minute {
		t.Errorf("cookie Expires %v is %v away from 30 days from now", c.Expires, d)
	}
	Expect(t, b.Home(), map[string]string{"user": "bob", "timeout": "30 days", "flash": "Welcome, bob"})

	// Logging in again without the box makes it a browser-session cookie.
	resp = b.Post("/login", url.Values{"username": {"bob"}})
	if c = SessionCookie(resp); c == nil || c.MaxAge != 0 || !c.Expires.IsZero() {
		t.Fatalf("second login without remember me sets cookie %v; want one without Max-Age or Expires", c)
	}
	Expect(t, b.Home(), map[string]string{"user": "bob", "timeout": "until the browser closes"})

	// Logout ends the long session; the next one has the default timeout.
	b.Post("/logout", nil)
	Expect(t, b.Home(), map[string]string{"user": "not logged in", "timeout": "20 minutes"})
}

// LoginFirstThing: a login form posted before any other page (a bookmarked
// form, a second tab after a restart) works the same.
func LoginFirstThing(t *testing.T, start Start) {
	t.Helper()
	b := NewBrowser(t, start(t))
	b.Post("/login", url.Values{"username": {"dave"}})
	Expect(t, b.Home(), map[string]string{"user": "dave", "flash": "Welcome, dave", "visits": "1", "is-new": "no"})
}

// LoginNeedsAName: an empty, blank or too long name logs no one in; a name
// is trimmed and reaches the page escaped.
func LoginNeedsAName(t *testing.T, start Start) {
	t.Helper()
	b := NewBrowser(t, start(t))
	for _, name := range []string{"", "   ", strings.Repeat("x", pages.MaxNameLen+1)} {
		b.Post("/login", url.Values{"username": {name}})
		Expect(t, b.Home(), map[string]string{"user": "not logged in", "flash": "Please enter a name (1 to 64 characters)."})
	}
	b.Post("/login", url.Values{"username": {"  <b>Zoë</b> "}})
	p := b.Home()
	Expect(t, p, map[string]string{"user": "&lt;b&gt;Zoë&lt;/b&gt;", "flash": "Welcome, &lt;b&gt;Zoë&lt;/b&gt;"})
	if strings.Contains(p.Body, "<b>Zoë") {
		t.Error("the user name reaches the page unescaped")
	}
}

// TamperedCookie: a bad cookie is no session: a fresh one, never an error
// page, and the real cookie still works.
func TamperedCookie(t *testing.T, start Start) {
	t.Helper()
	base := start(t)
	b := NewBrowser(t, base)
	b.Home()
	b.Post("/login", url.Values{"username": {"carol"}})
	good := b.Cookie()
	flip := []byte(good)
	i := len(flip) / 2
	flip[i] ^= 1
	if flip[i] == '"' || flip[i] == ';' || flip[i] == ',' || flip[i] == '\\' {
		flip[i] ^= 2
	}
	for name, v := range map[string]string{
		"one bit flipped": string(flip),
		"truncated":       good[:len(good)-4],
		"extended":        good + "AA",
		"garbage":         "not-a-session",
	} {
		t.Run(name, func(t *testing.T) {
			other := NewBrowser(t, base)
			other.SetCookie(v)
			p := other.Home()
			Expect(t, p, map[string]string{"user": "not logged in", "visits": "1", "is-new": "yes, started by this request"})
			if c := SessionCookie(p.Resp); c == nil || c.Value == v {
				t.Errorf("cookie after a bad one = %v; want a fresh session's", c)
			}
		})
	}
	Expect(t, b.Home(), map[string]string{"user": "carol"})
}

// CrossSitePostRefused: cross-site form posts are refused before they
// reach the session.
func CrossSitePostRefused(t *testing.T, start Start) {
	t.Helper()
	b := NewBrowser(t, start(t))
	b.Home()
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "http://evil.example"},
		{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
	} {
		req := b.Request(http.MethodPost, "/login", url.Values{"username": {"mallory"}})
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp := b.Do(req)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST /login with %v: %s, want 403", h, resp.Status)
		}
		if c := resp.Header.Values("Set-Cookie"); len(c) != 0 {
			t.Errorf("a refused POST set a cookie: %q", c)
		}
	}
	Expect(t, b.Home(), map[string]string{"user": "not logged in"})
}

// UntouchedSession: a request that never uses its session (a page the app
// does not have) gets no cookie.
func UntouchedSession(t *testing.T, start Start) {
	t.Helper()
	b := NewBrowser(t, start(t))
	p := b.Get("/favicon.ico")
	if p.Resp.StatusCode != http.StatusNotFound || len(p.Resp.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("GET /favicon.ico: %s, Set-Cookie %q; want 404 and no cookie", p.Resp.Status, p.Resp.Header.Values("Set-Cookie"))
	}
}

// All runs every story above as a subtest, each on its own app.
func All(t *testing.T, start Start) {
	t.Helper()
	for _, s := range []struct {
		name string
		f    func(*testing.T, Start)
	}{
		{"Story", Story},
		{"RememberMe", RememberMe},
		{"LoginFirstThing", LoginFirstThing},
		{"LoginNeedsAName", LoginNeedsAName},
		{"TamperedCookie", TamperedCookie},
		{"CrossSitePostRefused", CrossSitePostRefused},
		{"UntouchedSession", UntouchedSession},
	} {
		t.Run(s.name, func(t *testing.T) { s.f(t, start) })
	}
}
