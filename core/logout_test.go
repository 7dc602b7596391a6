package vishnu_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// pausingStore holds the second Load of a request marked with pauseKey
// (Regenerate's read of the old record, after the session's own load)
// once it has read, until released: a Destroy lands in that window.
type pausingStore struct {
	*countingStore
	read, release chan struct{}
}

type pauseKey struct{}

func (s *pausingStore) Load(ctx context.Context, id string) ([]byte, error) {
	rec, err := s.countingStore.Load(ctx, id)
	if n, ok := ctx.Value(pauseKey{}).(*atomic.Int32); ok && n.Add(1) == 2 {
		s.read <- struct{}{}
		<-s.release
	}
	return rec, err
}

// A Regenerate (login) in flight when another tab logs out ends destroyed:
// the logout is not undone by the login's new record.
func TestRegenerateLosesToADestroyAfterItsRead(t *testing.T) {
	cfg, st := testConfig(newClock())
	ps := &pausingStore{countingStore: st, read: make(chan struct{}), release: make(chan struct{})}
	cfg.Store = ps
	m := newManager(t, cfg)
	marked := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/regenerate" {
			r = r.WithContext(context.WithValue(r.Context(), pauseKey{}, new(atomic.Int32)))
		}
		m.Handler(app()).ServeHTTP(w, r)
	})
	srv := newServer(t, marked)
	b := newBrowser(t, srv)
	b.expect("/set?k=user&v=ann", "ok")
	other := newBrowser(t, srv) // the same user, another tab
	other.setCookie("vishnu", b.cookie("vishnu"))

	done := make(chan string)
	go func() { body, _ := b.get("/regenerate"); done <- body }()
	<-ps.read
	other.expect("/destroy", "ok")
	close(ps.release)
	if body := <-done; !strings.Contains(body, vishnu.ErrSessionGone.Error()) {
		t.Errorf("Regenerate racing a logout answered %q, want ErrSessionGone", body)
	}
	if n := st.Store.(*vishnu.MemoryStore).Len(); n != 0 {
		t.Errorf("the logout was undone: %d records remain", n)
	}
	b.expect("/get?k=user", "false:")
}

// A logout whose Delete fails does not look like a successful one: the
// cookie is expired anyway and the response is the error response.
func TestFailedDestroyFailsClosed(t *testing.T) {
	cfg, st := testConfig(newClock())
	m := newManager(t, cfg)
	mux := http.NewServeMux()
	mux.Handle("/", app())
	mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		if r.FormValue("loaded") != "" {
			s.Load() // the store fails between load and delete
		}
		st.down.Store(true)
		err := s.Destroy()
		st.down.Store(false)
		if r.FormValue("handled") != "" && err != nil {
			s.ErrorHandled()
			http.Error(w, "logout failed, try again", http.StatusServiceUnavailable)
			return
		}
		report(w, err)
	})
	b := newBrowser(t, serve(t, m, mux))
	b.expect("/set?k=user&v=ann", "ok")
	old := b.cookie("vishnu")

	for _, path := range []string{"/logout?loaded=1", "/logout"} {
		b.setCookie("vishnu", old)
		resp, err := b.c.Get(b.base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusInternalServerError {
			t.Errorf("%s: failed logout answered %d, want the error response (500)", path, resp.StatusCode)
		}
		if !expiresCookie(resp.Header.Values("Set-Cookie")) {
			t.Errorf("%s: failed logout did not expire the cookie: %q", path, resp.Header.Values("Set-Cookie"))
		}
		b.expect("/get?k=user", "false:")
	}

	// A handler that answers the failure itself says so.
	b.setCookie("vishnu", old)
	resp, err := b.c.Get(b.base + "/logout?handled=1&loaded=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !expiresCookie(resp.Header.Values("Set-Cookie")) {
		t.Errorf("handled failed logout: %d %q, want the handler's 503 with the cookie expired", resp.StatusCode, resp.Header.Values("Set-Cookie"))
	}
}

func expiresCookie(lines []string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, "vishnu=;") && strings.Contains(l, "Max-Age=0") {
			return true
		}
	}
	return false
}

// A Regenerate whose retirement of the old record fails reports it.
func TestRegenerateReportsAFailedRetirement(t *testing.T) {
	cfg, st := testConfig(newClock())
	mux := http.NewServeMux()
	mux.Handle("/", app())
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		s.Load()
		st.failCommits.Store(true)
		err := s.Regenerate()
		st.failCommits.Store(false)
		w.WriteHeader(http.StatusOK)
		if !errors.Is(err, errDown) {
			t.Errorf("Regenerate with a failing retirement: %v", err)
		}
	})
	b := newBrowser(t, serve(t, newManager(t, cfg), mux))
	b.expect("/set?k=user&v=ann", "ok")
	b.get("/login")
}
