package main

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var endForm = regexp.MustCompile(`name="id" value="([^"]+)"`)

// Two browsers of one user: each lists both sessions; one ends the other,
// which is logged out on its next request; "sign out everywhere else"
// leaves only the browser that asked.
func TestYourSessions(t *testing.T) {
	srv := newTestServer(t)
	laptop, phone, tablet := newBrowser(t, srv), newBrowser(t, srv), newBrowser(t, srv)
	for _, b := range []*browser{laptop, phone, tablet} {
		b.post("/login", url.Values{"username": {"alice"}})
	}
	p := laptop.home()
	if n := strings.Count(p.body, "<li>"); n != 3 {
		t.Fatalf("the laptop lists %d sessions, want 3:\n%s", n, p.body)
	}
	if !strings.Contains(p.body, "(this browser)") {
		t.Error("the current session is not marked")
	}
	ids := endForm.FindAllStringSubmatch(p.body, -1)
	if len(ids) != 2 {
		t.Fatalf("%d End buttons, want one for each other session", len(ids))
	}
	// End one of the others, whichever it is: exactly one of phone and
	// tablet is then logged out.
	laptop.post("/sessions/end", url.Values{"id": {ids[0][1]}})
	out := 0
	for _, b := range []*browser{phone, tablet} {
		if b.home().field("user") == "not logged in" {
			out++
		}
	}
	if out != 1 {
		t.Fatalf("%d browsers logged out after ending one session, want 1", out)
	}
	laptop.post("/sessions/end-others", nil)
	for _, b := range []*browser{phone, tablet} {
		expect(t, b.home(), map[string]string{"user": "not logged in"})
	}
	expect(t, laptop.home(), map[string]string{"user": "alice"})
	if n := strings.Count(laptop.home().body, "<li>"); n != 1 {
		t.Fatalf("after signing out everywhere else the laptop lists %d sessions, want 1", n)
	}
}
