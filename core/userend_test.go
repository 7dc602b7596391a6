package vishnu_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// passwords is the application's view of its users' passwords: a version
// per user, advanced by a password change, which is the stamp it gives
// Config.UserStamp.
type passwords struct {
	mu      sync.Mutex
	version map[string]int
	calls   atomic.Int64
	fail    atomic.Bool
}

func newPasswords() *passwords { return &passwords{version: map[string]int{}} }

func (p *passwords) stamp(_ context.Context, user string) ([]byte, error) {
	p.calls.Add(1)
	if p.fail.Load() {
		return nil, errors.New("user database down")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return fmt.Appendf(nil, "%d", p.version[user]), nil
}

func (p *passwords) change(user string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.version[user]++
}

// endApp is usersApp with a page that tells who is signed in and whether
// the session was ended elsewhere, and a password change that ends every
// other session of the user.
func endApp(m *vishnu.Manager, pw *passwords) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", usersApp(m))
	mux.HandleFunc("/me", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		if err := s.Load(); err != nil {
			report(w, err)
			return
		}
		fmt.Fprintf(w, "%s:%v", s.User(), s.EndedElsewhere())
	})
	mux.HandleFunc("/password", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		if pw != nil {
			pw.change(s.User())
		}
		report(w, m.EndUserSessions(r.Context(), s.User(), s))
	})
	return mux
}

func cookieStoreConfig(c *clock, pw *passwords) vishnu.Config {
	cfg, _ := testConfig(c)
	cfg.Store = vishnu.NewCookieStore()
	cfg.EncryptKey = []byte("an encryption key of 32 bytes!!!")
	cfg.UserStamp = pw.stamp
	return cfg
}

// On the cookie store, a password change ends every other session of the
// user on its next request, which is told so once, and keeps the session
// that made it; another user's sessions are untouched.
func TestCookieStorePasswordChangeEndsOtherSessions(t *testing.T) {
	pw := newPasswords()
	m := newManager(t, cookieStoreConfig(newClock(), pw))
	base := serve(t, m, endApp(m, pw))
	laptop, phone, tablet, bob := newBrowser(t, base), newBrowser(t, base), newBrowser(t, base), newBrowser(t, base)
	for _, b := range []*browser{laptop, phone, tablet} {
		b.expect("/login?u=ann&label=x", "ok")
		b.expect("/me", "ann:false")
	}
	bob.expect("/login?u=bob", "ok")
	laptop.expect("/set?k=cart&v=1", "ok")

	laptop.expect("/password", "ok")
	laptop.expect("/me", "ann:false")
	laptop.expect("/get?k=cart", "true:1")
	for _, b := range []*browser{phone, tablet} {
		b.expect("/me", ":true")
		if c := b.cookie("vishnu"); c != "" {
			t.Fatalf("the ended session's cookie was not expired: %q", c)
		}
		b.expect("/me", ":false") // told once
		b.expect("/new", "true")
	}
	bob.expect("/me", "bob:false")

	// A copy of a cookie is ended with it: the stamp is in the cookie, and
	// checked on every request.
	phone.expect("/login?u=ann&label=again", "ok")
	copyHolder := newBrowser(t, base)
	copyHolder.setCookie("vishnu", laptop.cookie("vishnu"))
	copyHolder.expect("/me", "ann:false")
	phone.expect("/password", "ok")
	copyHolder.expect("/me", ":true")
	laptop.expect("/me", ":true")
	phone.expect("/me", "ann:false")
}

// A UserStamp that fails is a failure of the request, not a logout.
func TestUserStampFailureIsNotALogout(t *testing.T) {
	pw := newPasswords()
	m := newManager(t, cookieStoreConfig(newClock(), pw))
	b := newBrowser(t, serve(t, m, endApp(m, pw)))
	b.expect("/login?u=ann", "ok")
	pw.fail.Store(true)
	resp, err := b.c.Get(b.base + "/me")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("with UserStamp failing: %s, Set-Cookie %q; want the error response, the cookie kept", resp.Status, resp.Header.Values("Set-Cookie"))
	}
	pw.fail.Store(false)
	b.expect("/me", "ann:false")
}

// An unbound session never calls UserStamp: the feature costs nothing to
// sessions that are not logged in.
func TestUserStampOnlyForBoundSessions(t *testing.T) {
	pw := newPasswords()
	m := newManager(t, cookieStoreConfig(newClock(), pw))
	b := newBrowser(t, serve(t, m, endApp(m, pw)))
	b.expect("/set?k=a&v=1", "ok")
	b.expect("/get?k=a", "true:1")
	if n := pw.calls.Load(); n != 0 {
		t.Fatalf("UserStamp called %d times for an unbound session", n)
	}
	b.expect("/login?u=ann", "ok")
	before := pw.calls.Load()
	b.expect("/get?k=a", "true:1")
	if n := pw.calls.Load() - before; n != 1 {
		t.Fatalf("UserStamp called %d times for one request of a bound session, want 1", n)
	}
}

// Logins racing a password change on the cookie store: each is ended by
// it, or came after it and is ended by the next one; none outlives both.
func TestCookieStoreRacingLogins(t *testing.T) {
	pw := newPasswords()
	m := newManager(t, cookieStoreConfig(newClock(), pw))
	base := serve(t, m, endApp(m, pw))
	admin := newBrowser(t, base)
	admin.expect("/login?u=ann&label=admin", "ok")
	const n = 20
	logins := make([]*browser, n)
	var wg sync.WaitGroup
	for i := range n {
		logins[i] = newBrowser(t, base)
		wg.Go(func() { logins[i].expect("/login?u=ann", "ok") })
	}
	admin.expect("/password", "ok")
	wg.Wait()
	admin.expect("/password", "ok")
	for i, b := range logins {
		if got, _ := b.get("/me"); got != ":true" {
			t.Errorf("login %d after two password changes: %q, want ended", i, got)
		}
	}
	admin.expect("/me", "ann:false")
}

// On a store with an index, a session ended by EndUserSession or
// EndUserSessions is told so on its next request, and only then; a
// logout is not an end from elsewhere.
func TestEndedElsewhereWithAnIndex(t *testing.T) {
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	base := serve(t, m, endApp(m, nil))
	me, phone, tablet, out := newBrowser(t, base), newBrowser(t, base), newBrowser(t, base), newBrowser(t, base)
	for _, b := range []*browser{me, phone, tablet, out} {
		b.expect("/login?u=ann", "ok")
	}
	out.expect("/destroy", "ok")
	out.expect("/me", ":false")
	var phoneID string
	for _, us := range sessionsOf(t, me) {
		if !us.Current {
			phoneID = us.ID
			break
		}
	}
	phoneCopy := newBrowser(t, base)
	phoneCopy.setCookie("vishnu", phone.cookie("vishnu"))
	me.expect("/end?id="+phoneID, "ok")
	me.expect("/password", "ok")
	me.expect("/me", "ann:false")
	for _, b := range []*browser{phone, tablet} {
		b.expect("/me", ":true")
		b.expect("/me", ":false")
	}
	phoneCopy.expect("/me", ":false") // told once, to whichever came first
}

// UserSession says when the session was created and last active (moved
// only by the expiry refresh, which writes anyway), and the client's IP
// (from Config.ClientIP) and User-Agent (bounded) at login.
func TestUserSessionDetails(t *testing.T) {
	c := newClock()
	cfg, st := testConfig(c)
	cfg.Timeout = time.Hour
	cfg.ClientIP = func(r *http.Request) string { return r.Header.Get("X-Test-Client") + "|" + vishnu.RemoteIP(r) }
	m := newManager(t, cfg)
	base := serve(t, m, endApp(m, nil))
	b := newBrowser(t, base)
	created := c.Now()
	b.expect("/set?k=a&v=1", "ok")
	c.Add(time.Minute)
	loggedIn := c.Now()
	req, _ := http.NewRequest("GET", base+"/login?u=ann&label=laptop", nil)
	req.Header.Set("User-Agent", "Browser/"+strings.Repeat("é", 200))
	req.Header.Set("X-Test-Client", "203.0.113.9")
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	list := sessionsOf(t, b)
	if len(list) != 1 {
		t.Fatalf("listed %+v", list)
	}
	us := list[0]
	if !us.Created.Equal(created) || !us.LoggedIn.Equal(loggedIn) || !us.LastActive.Equal(loggedIn) {
		t.Errorf("created %v, logged in %v, last active %v; want %v, %v, %v", us.Created, us.LoggedIn, us.LastActive, created, loggedIn, loggedIn)
	}
	if us.IP != "203.0.113.9|127.0.0.1" {
		t.Errorf("IP %q, want the one Config.ClientIP gives", us.IP)
	}
	if len(us.UserAgent) > vishnu.MaxUserAgentLen || !strings.HasPrefix(us.UserAgent, "Browser/é") || !strings.HasSuffix(us.UserAgent, "é") {
		t.Errorf("User-Agent %q (%d bytes), want it cut at a character within %d bytes", us.UserAgent, len(us.UserAgent), vishnu.MaxUserAgentLen)
	}
	if us.Label != "laptop" || !us.Current {
		t.Errorf("label %q, current %v", us.Label, us.Current)
	}

	// A request within a tenth of the timeout writes nothing, and so does
	// not move LastActive; one past it refreshes expiry, and moves it.
	c.Add(time.Minute)
	w := st.writes()
	b.expect("/get?k=a", "true:1")
	if st.writes() != w {
		t.Fatalf("a request within the refresh throttle wrote to the store")
	}
	if got := sessionsOf(t, b)[0].LastActive; !got.Equal(loggedIn) {
		t.Errorf("last active %v moved without a refresh", got)
	}
	c.Add(10 * time.Minute)
	active := c.Now()
	w = st.writes()
	b.expect("/get?k=a", "true:1")
	if st.writes() != w+1 {
		t.Fatalf("the expiry refresh made %d writes, want 1", st.writes()-w)
	}
	if got := sessionsOf(t, b)[0].LastActive; !got.Equal(active) {
		t.Errorf("last active %v, want %v", got, active)
	}
}

// MaxSessionsPerUser: a login beyond it ends the sessions that logged in
// first, which are told so; the others stay.
func TestMaxSessionsPerUser(t *testing.T) {
	c := newClock()
	cfg, _ := testConfig(c)
	cfg.MaxSessionsPerUser = 2
	m := newManager(t, cfg)
	base := serve(t, m, endApp(m, nil))
	var bs []*browser
	for i := range 4 {
		b := newBrowser(t, base)
		b.expect(fmt.Sprintf("/login?u=ann&label=b%d", i), "ok")
		c.Add(time.Second)
		bs = append(bs, b)
	}
	newBrowser(t, base).expect("/login?u=bob", "ok")
	bs[0].expect("/me", ":true")
	bs[1].expect("/me", ":true")
	bs[2].expect("/me", "ann:false")
	bs[3].expect("/me", "ann:false")
	list := sessionsOf(t, bs[3])
	if len(list) != 2 || list[0].Label != "b2" || list[1].Label != "b3" {
		t.Fatalf("after four logins with a cap of two: %+v", list)
	}
	// Logging in again in a listed session does not end another one.
	bs[2].expect("/login?u=ann&label=b2", "ok")
	bs[3].expect("/me", "ann:false")

	// The login's own session is never the one ended, even when every
	// login has the same time (the clock stands still here).
	for i := range 6 {
		b := newBrowser(t, base)
		b.expect(fmt.Sprintf("/login?u=cat&label=c%d", i), "ok")
		b.expect("/me", "cat:false")
	}
}

func TestMaxSessionsPerUserNeedsAnIndex(t *testing.T) {
	cfg := cookieStoreConfig(newClock(), newPasswords())
	cfg.MaxSessionsPerUser = 1
	var ce *vishnu.ConfigError
	if _, err := vishnu.New(cfg); !errors.As(err, &ce) || ce.Field != "MaxSessionsPerUser" {
		t.Fatalf("New with a cap over the cookie store: %v", err)
	}
	cfg, _ = testConfig(newClock())
	cfg.MaxSessionsPerUser = -1
	if _, err := vishnu.New(cfg); !errors.As(err, &ce) || ce.Field != "MaxSessionsPerUser" {
		t.Fatalf("New with a negative cap: %v", err)
	}
}

// Session.ID is the id the list gives the session, and the one that
// EndUserSession takes.
func TestSessionIDIsTheListedID(t *testing.T) {
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	mux := http.NewServeMux()
	mux.Handle("/", endApp(m, nil))
	mux.HandleFunc("/id", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, vishnu.FromContext(r.Context()).ID())
	})
	b := newBrowser(t, serve(t, m, mux))
	b.expect("/id", "")
	b.expect("/login?u=ann", "ok")
	id, _ := b.get("/id")
	if list := sessionsOf(t, b); len(list) != 1 || list[0].ID != id || id == "" {
		t.Fatalf("Session.ID %q, listed %+v", id, list)
	}
}

// On a store with an index, a logged-in session's request reads its record
// and nothing else, as one that is not logged in does; the only extra read
// is for a cookie whose record is gone (is it a session ended elsewhere?).
func TestIndexedStoreReadsPerRequest(t *testing.T) {
	cfg, st := testConfig(newClock())
	m := newManager(t, cfg)
	b := newBrowser(t, serve(t, m, endApp(m, nil)))
	loads := func(path, want string) int64 {
		n := st.loads.Load()
		b.expect(path, want)
		return st.loads.Load() - n
	}
	b.expect("/set?k=a&v=1", "ok")
	if n := loads("/get?k=a", "true:1"); n != 1 {
		t.Fatalf("a request of a session not logged in loaded %d times, want 1", n)
	}
	b.expect("/login?u=ann", "ok")
	if n := loads("/get?k=a", "true:1"); n != 1 {
		t.Fatalf("a request of a logged-in session loaded %d times, want 1", n)
	}
	cookie := b.cookie("vishnu")
	b.expect("/destroy", "ok")
	b.setCookie("vishnu", cookie)
	if n := loads("/me", ":false"); n != 2 {
		t.Fatalf("a request whose record is gone loaded %d times, want 2 (its record, its tombstone)", n)
	}
}
