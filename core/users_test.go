package vishnu_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// usersApp serves login, the list of the user's sessions, ending one, and
// ending all others, over app()'s routes.
func usersApp(m *vishnu.Manager) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", app())
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		report(w, vishnu.FromContext(r.Context()).Login(r.FormValue("u"), r.FormValue("label")))
	})
	mux.HandleFunc("/sessions", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		list, err := m.UserSessions(r.Context(), s.User(), s)
		if err != nil {
			report(w, err)
			return
		}
		json.NewEncoder(w).Encode(list)
	})
	mux.HandleFunc("/end", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		report(w, m.EndUserSession(r.Context(), s.User(), r.FormValue("id")))
	})
	mux.HandleFunc("/end-others", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		report(w, m.EndUserSessions(r.Context(), s.User(), s))
	})
	return mux
}

func sessionsOf(t *testing.T, b *browser) []vishnu.UserSession {
	t.Helper()
	body, _ := b.get("/sessions")
	var list []vishnu.UserSession
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatalf("/sessions: %q: %v", body, err)
	}
	return list
}

// Two browsers of one user: each sees both sessions, one ends the other,
// whose next request has no session.
func TestUserSessionsListAndEnd(t *testing.T) {
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	base := serve(t, m, usersApp(m))
	laptop, phone := newBrowser(t, base), newBrowser(t, base)
	laptop.expect("/login?u=ann&label=laptop", "ok")
	phone.expect("/login?u=ann&label=phone", "ok")
	newBrowser(t, base).expect("/login?u=bob&label=bob", "ok")

	list := sessionsOf(t, laptop)
	if len(list) != 2 {
		t.Fatalf("ann's sessions: %+v, want laptop and phone", list)
	}
	var phoneID string
	for _, us := range list {
		if us.Current != (us.Label == "laptop") {
			t.Errorf("Current marks the wrong session: %+v", list)
		}
		if us.Label == "phone" {
			phoneID = us.ID
		}
	}
	laptop.expect("/end?id="+phoneID, "ok")
	phone.expect("/get?k=x", "false:")
	if got := phone.expect("/new", "true"); got == nil {
		t.Log("the ended session is a new one")
	}
	if list := sessionsOf(t, laptop); len(list) != 1 || list[0].Label != "laptop" {
		t.Fatalf("after ending the phone: %+v", list)
	}
	// bob's session cannot be ended by ann.
	bob := sessionsOf(t, newBrowser(t, base))
	if len(bob) != 0 {
		t.Fatalf("a browser with no login lists %+v", bob)
	}
}

// Signing out everywhere else ends every other session; the current one
// stays, and a destroyed session is never listed.
func TestEndUserSessionsKeepsTheCurrentOne(t *testing.T) {
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	base := serve(t, m, usersApp(m))
	var others []*browser
	for i := range 5 {
		b := newBrowser(t, base)
		b.expect(fmt.Sprintf("/login?u=ann&label=b%d", i), "ok")
		others = append(others, b)
	}
	gone := newBrowser(t, base)
	gone.expect("/login?u=ann&label=gone", "ok")
	gone.expect("/destroy", "ok")
	me := newBrowser(t, base)
	me.expect("/login?u=ann&label=me", "ok")
	me.expect("/set?k=cart&v=1", "ok")
	if n := len(sessionsOf(t, me)); n != 6 {
		t.Fatalf("%d sessions listed, want 6 (the destroyed one is not)", n)
	}
	me.expect("/end-others", "ok")
	for _, b := range others {
		b.expect("/new", "true")
	}
	me.expect("/get?k=cart", "true:1")
	if list := sessionsOf(t, me); len(list) != 1 || !list[0].Current {
		t.Fatalf("after signing out everywhere else: %+v", list)
	}
}

// "Sign out everywhere" racing logins of the same user: every login either
// is ended or is listed afterwards; none is live and unlisted.
func TestEndUserSessionsRacingLogins(t *testing.T) {
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	base := serve(t, m, usersApp(m))
	admin := newBrowser(t, base)
	admin.expect("/login?u=ann&label=admin", "ok")
	const n = 30
	logins := make([]*browser, n)
	var wg sync.WaitGroup
	for i := range n {
		logins[i] = newBrowser(t, base)
		wg.Go(func() { logins[i].expect(fmt.Sprintf("/login?u=ann&label=l%d", i), "ok") })
	}
	for range 3 {
		admin.expect("/end-others", "ok")
	}
	wg.Wait()
	listed := map[string]bool{}
	for _, us := range sessionsOf(t, admin) {
		listed[us.Label] = true
	}
	for i, b := range logins {
		live, _ := b.get("/new")
		if live == "false" && !listed[fmt.Sprintf("l%d", i)] {
			t.Errorf("login l%d is live but not listed", i)
		}
	}
}

// The cookie store without Config.UserStamp can neither list nor end a
// user's sessions, and says so; Login binds nothing.
func TestLoginNeedsAWayToEnd(t *testing.T) {
	cfg, _ := testConfig(newClock())
	cfg.Store = vishnu.NewCookieStore()
	cfg.EncryptKey = []byte("an encryption key of 32 bytes!!!")
	m := newManager(t, cfg)
	b := newBrowser(t, serve(t, m, usersApp(m)))
	body, _ := b.get("/login?u=ann")
	if !strings.Contains(body, vishnu.ErrCannotEndUserSessions.Error()) {
		t.Fatalf("Login on the cookie store: %q", body)
	}
	if _, err := m.UserSessions(t.Context(), "ann", nil); !errors.Is(err, vishnu.ErrNoUserIndex) {
		t.Fatalf("UserSessions on the cookie store: %v", err)
	}
	if err := m.EndUserSessions(t.Context(), "ann", nil); !errors.Is(err, vishnu.ErrCannotEndUserSessions) {
		t.Fatalf("EndUserSessions on the cookie store: %v", err)
	}
}
