package memcachestore

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// A user's generation: 0 until bumped, then increasing at every bump, per
// user, and still increasing after memcached forgot it.
func TestUserGenerations(t *testing.T) {
	forEachTopology(t, func(t *testing.T, addrs []string) {
		s := newTestStore(t, addrs)
		ctx := t.Context()
		get := func(user string) uint64 {
			t.Helper()
			g, err := s.UserGeneration(ctx, user)
			if err != nil {
				t.Fatal(err)
			}
			return g
		}
		bump := func(user string) uint64 {
			t.Helper()
			g, err := s.BumpUserGeneration(ctx, user)
			if err != nil {
				t.Fatal(err)
			}
			return g
		}
		if g := get("ann"); g != 0 {
			t.Fatalf("a new user's generation is %d, want 0", g)
		}
		g1 := bump("ann")
		if g1 == 0 || get("ann") != g1 {
			t.Fatalf("after a bump to %d, the generation reads %d", g1, get("ann"))
		}
		if g2 := bump("ann"); g2 <= g1 || get("ann") != g2 {
			t.Fatalf("a second bump gave %d after %d", g2, g1)
		}
		if g := get("bob"); g != 0 {
			t.Fatalf("bob's generation moved with ann's: %d", g)
		}
		// Users whose names are no valid memcached key have one each.
		if get("a b\x00c") != 0 || bump("a b\x00c") == 0 || get("a b\x00d") != 0 {
			t.Fatalf("users with spaces and NULs share a generation")
		}

		// memcached evicts the counter: it reads as 0 (which ends the
		// user's sessions), and the next bump is above every earlier value.
		last := get("ann")
		if err := s.client.Delete(s.generationKey("ann")); err != nil {
			t.Fatal(err)
		}
		if g := get("ann"); g != 0 {
			t.Fatalf("a forgotten generation reads %d, want 0", g)
		}
		if g := bump("ann"); g <= last {
			t.Fatalf("after memcached forgot it, a bump gave %d, not above %d", g, last)
		}

		// Concurrent bumps, the first of them on a user with none, each
		// get a generation of their own.
		const n = 20
		seen := make(chan uint64, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				g, err := s.BumpUserGeneration(ctx, "cat")
				if err != nil {
					t.Error(err)
				}
				seen <- g
			})
		}
		wg.Wait()
		close(seen)
		distinct := map[uint64]bool{}
		for g := range seen {
			distinct[g] = true
		}
		if len(distinct) != n {
			t.Fatalf("%d concurrent bumps gave %d distinct generations", n, len(distinct))
		}
	})
}

// countingStore counts the reads a request makes of the real store.
type countingStore struct {
	*Store
	loads, generations atomic.Int64
}

func (c *countingStore) Load(ctx context.Context, id string) ([]byte, error) {
	c.loads.Add(1)
	return c.Store.Load(ctx, id)
}

func (c *countingStore) UserGeneration(ctx context.Context, user string) (uint64, error) {
	c.generations.Add(1)
	return c.Store.UserGeneration(ctx, user)
}

// usersServer serves, over a real server on all the memcached nodes, what
// a "your sessions" feature needs: login, who is signed in and whether the
// session was ended elsewhere, the session's id, ending one session by id,
// and a password change that ends every other session.
func usersServer(t *testing.T, st vishnu.Store) (string, *vishnu.Manager) {
	t.Helper()
	m, err := vishnu.New(vishnu.Config{
		Store:    st,
		Secret:   []byte("a secret of at least 32 bytes!!!"),
		AutoSave: true,
		Cookie:   vishnu.CookieConfig{Insecure: true},
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	report := func(w http.ResponseWriter, err error) {
		if err != nil {
			fmt.Fprint(w, "error: ", err)
			return
		}
		fmt.Fprint(w, "ok")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		report(w, vishnu.FromContext(r.Context()).Login(r.FormValue("u"), "test"))
	})
	mux.HandleFunc("/me", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		fmt.Fprintf(w, "%s:%v", s.User(), s.EndedElsewhere())
	})
	mux.HandleFunc("/set", func(w http.ResponseWriter, r *http.Request) {
		report(w, vishnu.FromContext(r.Context()).Set("k", r.FormValue("v")))
	})
	mux.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
		v, _ := vishnu.Get[string](vishnu.FromContext(r.Context()), "k")
		fmt.Fprint(w, v)
	})
	mux.HandleFunc("/id", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, vishnu.FromContext(r.Context()).ID())
	})
	mux.HandleFunc("/end", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		report(w, m.EndUserSession(r.Context(), s.User(), r.FormValue("id")))
	})
	mux.HandleFunc("/password", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		report(w, m.EndUserSessions(r.Context(), s.User(), s))
	})
	mux.HandleFunc("/list", func(w http.ResponseWriter, r *http.Request) {
		_, err := m.UserSessions(r.Context(), vishnu.FromContext(r.Context()).User(), nil)
		report(w, err)
	})
	srv := httptest.NewServer(m.Handler(mux))
	t.Cleanup(srv.Close)
	return srv.URL, m
}

// browser is a real client with a cookie jar.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

func (b *browser) get(path string) string {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return string(body)
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (b *browser) expect(path, want string) {
	b.t.Helper()
	if got := b.get(path); got != want {
		b.t.Fatalf("GET %s = %q, want %q", path, got, want)
	}
}

// A password change on memcached (three nodes) ends every other session
// of the user on its next request, which is told so once, and keeps the
// current one with its data; another user's sessions are untouched. One
// session is ended by its id. Listing says it needs an index.
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	st := newTestStore(t, testAddrs(t))
	base, _ := usersServer(t, st)
	me, phone, tablet, other, bob := newBrowser(t, base), newBrowser(t, base), newBrowser(t, base), newBrowser(t, base), newBrowser(t, base)
	for _, b := range []*browser{me, phone, tablet, other} {
		b.expect("/login?u=ann", "ok")
	}
	bob.expect("/login?u=bob", "ok")
	me.expect("/set?v=cart", "ok")
	me.expect("/list", "error: "+vishnu.ErrNoUserIndex.Error())

	otherID := other.get("/id")
	me.expect("/end?id="+otherID, "ok")
	other.expect("/me", ":true")
	other.expect("/me", ":false")

	me.expect("/password", "ok")
	me.expect("/me", "ann:false")
	me.expect("/get", "cart")
	for _, b := range []*browser{phone, tablet} {
		b.expect("/me", ":true")
		b.expect("/me", ":false")
	}
	bob.expect("/me", "bob:false")
	bob.expect("/end?id="+me.get("/id"), "ok") // not bob's: left alone
	me.expect("/me", "ann:false")

	// The session kept survives the next change made from another one.
	phone.expect("/login?u=ann", "ok")
	phone.expect("/password", "ok")
	me.expect("/me", ":true")
	phone.expect("/me", "ann:false")

	// memcached evicts the user's generation: their sessions end rather
	// than outlive a change that memcached forgot.
	if err := st.client.Delete(st.generationKey("ann")); err != nil {
		t.Fatal(err)
	}
	phone.expect("/me", ":true")
	bob.expect("/me", "bob:false")
}

// Logins racing password changes on memcached (three nodes): each login
// is ended by the change, or came after it and is ended by the next one;
// none is live and forgotten.
func TestRacingLoginsAreEnded(t *testing.T) {
	base, _ := usersServer(t, newTestStore(t, testAddrs(t)))
	admin := newBrowser(t, base)
	admin.expect("/login?u=ann", "ok")
	const n = 20
	logins := make([]*browser, n)
	var wg sync.WaitGroup
	for i := range n {
		logins[i] = newBrowser(t, base)
		wg.Go(func() { logins[i].expect("/login?u=ann", "ok") })
	}
	// A second browser holding the admin's cookie, whose requests run
	// while the changes do: the session kept is never seen ended.
	twin := newBrowser(t, base)
	twin.c.Jar.SetCookies(mustURL(t, base), admin.c.Jar.Cookies(mustURL(t, base)))
	wg.Go(func() {
		for range 50 {
			if got := twin.get("/me"); got != "ann:false" {
				t.Errorf("the session kept, during a password change: %q", got)
				return
			}
		}
	})
	admin.expect("/password", "ok")
	admin.expect("/password", "ok")
	wg.Wait()
	admin.expect("/password", "ok")
	for i, b := range logins {
		if got := b.get("/me"); got != ":true" {
			t.Errorf("login %d after the password changes: %q, want ended", i, got)
		}
	}
	admin.expect("/me", "ann:false")
}

// What the feature costs a request: one read of the user's generation for
// a logged-in session, none for one that is not.
func TestUserGenerationReadsPerRequest(t *testing.T) {
	st := &countingStore{Store: newTestStore(t, testAddrs(t))}
	base, _ := usersServer(t, st)
	b := newBrowser(t, base)
	b.expect("/set?v=1", "ok")
	read := func() (loads, gens int64) {
		l, g := st.loads.Load(), st.generations.Load()
		b.expect("/get", "1")
		return st.loads.Load() - l, st.generations.Load() - g
	}
	if l, g := read(); l != 1 || g != 0 {
		t.Fatalf("a request of a session not logged in: %d loads, %d generation reads; want 1 and 0", l, g)
	}
	b.expect("/login?u=ann", "ok")
	if l, g := read(); l != 1 || g != 1 {
		t.Fatalf("a request of a logged-in session: %d loads, %d generation reads; want 1 and 1", l, g)
	}
}
