package main

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/vishnu-go/vishnu/examples/pages/pagestest"
)

var endForm = regexp.MustCompile(`name="id" value="([^"]+)"`)

// Two browsers of one user: each lists both sessions; one ends the other,
// which is logged out on its next request; "sign out everywhere else"
// leaves only the browser that asked.
func TestYourSessions(t *testing.T) {
	srv := newTestServer(t)
	laptop, phone, tablet := pagestest.NewBrowser(t, srv), pagestest.NewBrowser(t, srv), pagestest.NewBrowser(t, srv)
	for _, b := range []*pagestest.Browser{laptop, phone, tablet} {
		b.Post("/login", url.Values{"username": {"alice"}})
	}
	p := laptop.Home()
	if n := strings.Count(p.Body, "<li>"); n != 3 {
		t.Fatalf("the laptop lists %d sessions, want 3:\n%s", n, p.Body)
	}
	if !strings.Contains(p.Body, "(this browser)") {
		t.Error("the current session is not marked")
	}
	ids := endForm.FindAllStringSubmatch(p.Body, -1)
	if len(ids) != 2 {
		t.Fatalf("%d End buttons, want one for each other session", len(ids))
	}
	// End one of the others, whichever it is: exactly one of phone and
	// tablet is then logged out.
	laptop.Post("/sessions/end", url.Values{"id": {ids[0][1]}})
	out := 0
	for _, b := range []*pagestest.Browser{phone, tablet} {
		if b.Home().Field("user") == "not logged in" {
			out++
		}
	}
	if out != 1 {
		t.Fatalf("%d browsers logged out after ending one session, want 1", out)
	}
	laptop.Post("/sessions/end-others", nil)
	for _, b := range []*pagestest.Browser{phone, tablet} {
		pagestest.Expect(t, b.Home(), map[string]string{"user": "not logged in"})
	}
	pagestest.Expect(t, laptop.Home(), map[string]string{"user": "alice"})
	if n := strings.Count(laptop.Home().Body, "<li>"); n != 1 {
		t.Fatalf("after signing out everywhere else the laptop lists %d sessions, want 1", n)
	}
}
