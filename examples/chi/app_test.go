package main

import (
	"log/slog"
	"net/http"
	"net/url"
	"testing"

	"github.com/vishnu-go/vishnu/examples/pages/pagestest"
)

// newTestServer serves the demo, configured as main configures it, over
// loopback, and returns its URL.
func newTestServer(t *testing.T) string {
	t.Helper()
	h, err := newApp(pagestest.Manager(t), slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	return pagestest.Serve(t, h)
}

// TestStories walks the app through the stories every example app passes.
func TestStories(t *testing.T) { pagestest.All(t, newTestServer) }

// run, main's server, refuses a short secret, starts on a free port,
// answers, and stops cleanly.
func TestRun(t *testing.T) { pagestest.Run(t, run) }

// account requests the guarded page and returns its status, Location and
// body.
func account(b *pagestest.Browser) (int, string, string) {
	b.T.Helper()
	p := b.Get("/account")
	return p.Resp.StatusCode, p.Resp.Header.Get("Location"), p.Body
}

// TestAccountGuard walks the guarded account page through a visit: closed
// before login, open after it and only to the logged-in cookie, closed
// again after logout, also to a copy of the logged-out cookie. Looking at
// it does not count as a visit.
func TestAccountGuard(t *testing.T) {
	base := newTestServer(t)
	b := pagestest.NewBrowser(t, base)

	pagestest.Expect(t, b.Home(), map[string]string{"visits": "1"})
	if status, loc, _ := account(b); status != http.StatusSeeOther || loc != "/" {
		t.Fatalf("the account page before login: %d to %q; want 303 to /", status, loc)
	}

	preLogin := b.Cookie()
	b.Post("/login", url.Values{"username": {"alice"}})
	pagestest.Expect(t, b.Home(), map[string]string{"user": "alice", "visits": "2"})
	if status, _, body := account(b); status != http.StatusOK || body != "The account of alice.\n" {
		t.Fatalf("the account page after login: %d %q", status, body)
	}

	// Session fixation: the pre-login cookie is worth nothing after login.
	attacker := pagestest.NewBrowser(t, base)
	attacker.SetCookie(preLogin)
	if status, _, _ := account(attacker); status != http.StatusSeeOther {
		t.Errorf("the planted cookie opens the account page: %d", status)
	}

	loggedIn := b.Cookie()
	b.Post("/logout", nil)
	if status, _, _ := account(b); status != http.StatusSeeOther {
		t.Errorf("the account page after logout: %d, want 303", status)
	}

	thief := pagestest.NewBrowser(t, base)
	thief.SetCookie(loggedIn)
	if status, _, _ := account(thief); status != http.StatusSeeOther {
		t.Errorf("a copy of the logged-out cookie opens the account page: %d", status)
	}
	pagestest.Expect(t, thief.Home(), map[string]string{"user": "not logged in", "visits": "1"})
}
