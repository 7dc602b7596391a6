package vishnu_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// clock is a settable time source shared by a manager and its store.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// countingStore wraps a store, counts calls, and can be made to fail.
type countingStore struct {
	vishnu.Store
	loads, saves, commits, touches, deletes atomic.Int64
	down                                    atomic.Bool
	failCommits                             atomic.Bool // Commit alone fails
}

var errDown = errors.New("store is down")

func (s *countingStore) Load(ctx context.Context, id string) ([]byte, error) {
	s.loads.Add(1)
	if s.down.Load() {
		return nil, errDown
	}
	return s.Store.Load(ctx, id)
}

func (s *countingStore) Save(ctx context.Context, id string, data []byte, exp time.Time) error {
	s.saves.Add(1)
	if s.down.Load() {
		return errDown
	}
	return s.Store.Save(ctx, id, data, exp)
}

func (s *countingStore) Delete(ctx context.Context, id string) error {
	s.deletes.Add(1)
	if s.down.Load() {
		return errDown
	}
	return s.Store.Delete(ctx, id)
}

func (s *countingStore) Commit(ctx context.Context, id string, c *vishnu.Change) error {
	s.commits.Add(1)
	if s.down.Load() || s.failCommits.Load() {
		return errDown
	}
	return s.Store.(vishnu.Committer).Commit(ctx, id, c)
}

func (s *countingStore) Touch(ctx context.Context, id string, exp time.Time) error {
	s.touches.Add(1)
	if s.down.Load() {
		return errDown
	}
	return s.Store.(vishnu.Toucher).Touch(ctx, id, exp)
}

func (s *countingStore) writes() int64 {
	return s.saves.Load() + s.commits.Load() + s.touches.Load() + s.deletes.Load()
}

// testConfig is a plain-HTTP configuration over a counting memory store
// that shares the clock c.
func testConfig(c *clock) (vishnu.Config, *countingStore) {
	mem, _ := vishnu.NewMemoryStoreWithOptions(vishnu.MemoryStoreOptions{Clock: c.Now})
	st := &countingStore{Store: mem}
	return vishnu.Config{
		Store:    st,
		Secret:   testSecret,
		AutoSave: true,
		Cookie:   vishnu.CookieConfig{Insecure: true},
		Clock:    c.Now,
		Logger:   slog.New(slog.DiscardHandler),
	}, st
}

// app is the handler the HTTP tests drive: each path does one thing to the
// session, named by its query parameters, and prints the outcome.
func app() http.Handler {
	mux := http.NewServeMux()
	sess := func(r *http.Request) *vishnu.Session { return vishnu.FromContext(r.Context()) }
	mux.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
		v, ok := vishnu.Get[string](sess(r), r.FormValue("k"))
		fmt.Fprintf(w, "%v:%s", ok, v)
	})
	mux.HandleFunc("/set", func(w http.ResponseWriter, r *http.Request) {
		report(w, sess(r).Set(r.FormValue("k"), r.FormValue("v")))
	})
	mux.HandleFunc("/save", func(w http.ResponseWriter, r *http.Request) {
		s := sess(r)
		if err := s.Set(r.FormValue("k"), r.FormValue("v")); err != nil {
			report(w, err)
			return
		}
		report(w, s.Save())
	})
	mux.HandleFunc("/del", func(w http.ResponseWriter, r *http.Request) {
		sess(r).Delete(r.FormValue("k"))
		report(w, nil)
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, strings.Join(sess(r).Keys(), ","))
	})
	mux.HandleFunc("/regenerate", func(w http.ResponseWriter, r *http.Request) {
		report(w, sess(r).Regenerate())
	})
	mux.HandleFunc("/destroy", func(w http.ResponseWriter, r *http.Request) {
		report(w, sess(r).Destroy())
	})
	mux.HandleFunc("/flash", func(w http.ResponseWriter, r *http.Request) {
		err := sess(r).Flash(r.FormValue("k"), r.FormValue("v"))
		if err == nil && r.FormValue("save") != "" {
			err = sess(r).Save()
		}
		report(w, err)
	})
	mux.HandleFunc("/pop", func(w http.ResponseWriter, r *http.Request) {
		v, ok := vishnu.PopFlash[string](sess(r), r.FormValue("k"))
		fmt.Fprintf(w, "%v:%s", ok, v)
	})
	mux.HandleFunc("/timeout", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.FormValue("d"))
		if err == nil {
			err = sess(r).SetTimeout(d)
		}
		if err == nil && r.FormValue("save") != "" {
			err = sess(r).Save()
		}
		report(w, err)
	})
	mux.HandleFunc("/new", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, sess(r).IsNew())
	})
	mux.HandleFunc("/untouched", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello")
	})
	return mux
}

func report(w http.ResponseWriter, err error) {
	if err != nil {
		fmt.Fprint(w, "error: ", err)
		return
	}
	fmt.Fprint(w, "ok")
}

// browser is a real client with a cookie jar against a real server.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func serve(t *testing.T, m *vishnu.Manager, h http.Handler) string {
	t.Helper()
	return newServer(t, m.Handler(h))
}

// newServer serves h on loopback until the test ends.
func newServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func newBrowser(t *testing.T, base string) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

// get requests path and returns the body and the Set-Cookie lines.
func (b *browser) get(path string) (string, []string) {
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
	return string(body), resp.Header.Values("Set-Cookie")
}

// expect requests path and fails unless the body is want.
func (b *browser) expect(path, want string) []string {
	b.t.Helper()
	got, set := b.get(path)
	if got != want {
		b.t.Fatalf("GET %s = %q, want %q", path, got, want)
	}
	return set
}

// cookie returns the value of the session cookie in the jar.
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// setCookie puts a cookie value in the jar, as a browser holding it would.
func (b *browser) setCookie(name, value string) {
	u, _ := url.Parse(b.base)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

func newManager(t testing.TB, cfg vishnu.Config) *vishnu.Manager {
	t.Helper()
	m, err := vishnu.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (s *countingStore) AddUserSession(ctx context.Context, user, id string, info []byte, exp time.Time) error {
	if s.down.Load() {
		return errDown
	}
	return s.Store.(vishnu.UserIndex).AddUserSession(ctx, user, id, info, exp)
}

func (s *countingStore) RemoveUserSession(ctx context.Context, user, id string) error {
	if s.down.Load() {
		return errDown
	}
	return s.Store.(vishnu.UserIndex).RemoveUserSession(ctx, user, id)
}

func (s *countingStore) UserSessions(ctx context.Context, user string) (map[string][]byte, error) {
	if s.down.Load() {
		return nil, errDown
	}
	return s.Store.(vishnu.UserIndex).UserSessions(ctx, user)
}
