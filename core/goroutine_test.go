package vishnu_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// Session methods from a second goroutine of the request do not touch the
// response headers while the handler's goroutine sets them (go test -race
// reports it if they do): the cookie is applied by the commit point.
func TestSessionMethodsFromAnotherGoroutine(t *testing.T) {
	cfg, _ := testConfig(newClock())
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		done := make(chan error, 1)
		go func() {
			err := s.Set("a", "1")
			if err == nil {
				err = s.Save()
			}
			if err == nil {
				err = s.Regenerate()
			}
			if err == nil && r.URL.Query().Has("logout") {
				err = s.Destroy()
			}
			done <- err
		}()
		for i := range 2000 {
			w.Header().Set("X-Progress", fmt.Sprint(i))
		}
		if err := <-done; err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "ok")
	})
	b := newBrowser(t, serve(t, newManager(t, cfg), h))
	if set := b.expect("/", "ok"); len(set) != 1 {
		t.Fatalf("Set-Cookie %q, want the regenerated session's cookie", set)
	}
	b.expect("/?logout", "ok")
}

// panickingStore panics in Commit and Load when told to.
type panickingStore struct {
	*countingStore
	onCommit, onLoad bool
}

func (s *panickingStore) Commit(ctx context.Context, id string, c *vishnu.Change) error {
	if s.onCommit {
		panic("store bug in Commit")
	}
	return s.countingStore.Commit(ctx, id, c)
}

func (s *panickingStore) Load(ctx context.Context, id string) ([]byte, error) {
	if s.onLoad {
		panic("store bug in Load")
	}
	return s.countingStore.Load(ctx, id)
}

// recoverer is a recovery middleware inside the session middleware.
func recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				http.Error(w, fmt.Sprint("recovered: ", v), http.StatusBadGateway)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// A store that panics under the session's lock (in the commit point, or
// in PopFlash's load) must not leave the lock held: the request that a
// recovery middleware recovers gets an answer.
func TestPanicUnderTheSessionLockDoesNotHang(t *testing.T) {
	for _, tc := range []struct{ name, path string }{
		{"commit", "/set?k=a&v=2"},
		{"popflash", "/pop?k=a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, st := testConfig(newClock())
			ps := &panickingStore{countingStore: st}
			cfg.Store = ps
			b := newBrowser(t, serve(t, newManager(t, cfg), recoverer(app())))
			b.c.Timeout = 5 * time.Second
			b.expect("/set?k=a&v=1", "ok")
			ps.onCommit, ps.onLoad = tc.name == "commit", tc.name == "popflash"
			resp, err := b.c.Get(b.base + tc.path)
			if err != nil {
				t.Fatalf("the request after a panic under the lock got no answer: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode < 500 {
				t.Fatalf("status %d, want an error response", resp.StatusCode)
			}
		})
	}
}

// A goroutine that outlives its request cannot lose a change silently:
// once the request has ended, changes fail with ErrRequestEnded.
func TestChangesAfterTheRequestEnded(t *testing.T) {
	cfg, st := testConfig(newClock())
	late := make(chan *vishnu.Session, 1)
	mux := http.NewServeMux()
	mux.Handle("/", app())
	mux.HandleFunc("/leak", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		if r.URL.Query().Has("load") {
			s.Load()
		}
		late <- s
		fmt.Fprint(w, "ok")
	})
	b := newBrowser(t, serve(t, newManager(t, cfg), mux))
	b.expect("/set?k=a&v=1", "ok")
	for _, path := range []string{"/leak?load=1", "/leak"} {
		b.expect(path, "ok")
		s := <-late
		time.Sleep(10 * time.Millisecond) // the middleware's Finish has run once the client has the answer
		writes := st.writes()
		for name, err := range map[string]error{
			"Set": s.Set("a", "2"), "Save": s.Save(), "SetTimeout": s.SetTimeout(time.Hour),
			"Regenerate": s.Regenerate(), "Destroy": s.Destroy(),
		} {
			if !errors.Is(err, vishnu.ErrRequestEnded) {
				t.Errorf("%s %s after the request ended: %v, want ErrRequestEnded", path, name, err)
			}
		}
		if n := st.writes() - writes; n != 0 {
			t.Errorf("%s: %d store writes after the request ended", path, n)
		}
	}
	b.expect("/get?k=a", "true:1")
}
