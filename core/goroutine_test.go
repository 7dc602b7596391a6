package vishnu_test

import (
	"context"
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
