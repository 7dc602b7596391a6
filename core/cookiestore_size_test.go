package vishnu_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// With the cookie store, a request that only deletes keys still rewrites
// the cookie without them.
func TestCookieStoreDeleteAlone(t *testing.T) {
	cfg, _ := testConfig(newClock())
	cfg.Store = vishnu.NewCookieStore()
	b := newBrowser(t, serve(t, newManager(t, cfg), app()))
	b.expect("/set?k=a&v=1", "ok")
	b.expect("/set?k=b&v=2", "ok")
	if set := b.expect("/del?k=a", "ok"); len(set) != 1 {
		t.Fatalf("a delete set %q, want the rewritten cookie", set)
	}
	b.expect("/keys", "b")
	b.expect("/flash?k=m&v=hi", "ok")
	b.expect("/pop?k=m", "true:hi")
	b.expect("/pop?k=m", "false:")
}

// With one cookie allowed, the cookie store's Set-Cookie line, attributes
// included, stays within the 4096 bytes a browser keeps; a session one
// byte larger fails with ErrCookieTooLarge, which says how many bytes of
// value it took and how many cookies that needs.
func TestCookieStoreSizeLimit(t *testing.T) {
	cfg, _ := testConfig(newClock())
	store, err := vishnu.NewCookieStoreWithOptions(vishnu.CookieStoreOptions{MaxCookies: 1})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store = store
	m := newManager(t, cfg)
	try := func(n int) (string, error) {
		var err error
		h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := vishnu.FromContext(r.Context())
			if err = s.Set("v", strings.Repeat("x", n)); err == nil {
				err = s.Save()
			}
		}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		return rec.Header().Get("Set-Cookie"), err
	}
	// The largest value that fits, by bisection.
	lo, hi := 0, 4096
	for lo+1 < hi {
		mid := (lo + hi) / 2
		if _, err := try(mid); err == nil {
			lo = mid
		} else {
			hi = mid
		}
	}
	line, err := try(lo)
	if err != nil || len(line) > 4096 || len(line) < 3900 {
		t.Fatalf("the largest session makes a Set-Cookie line of %d bytes (%v), want close to 4096 and not over", len(line), err)
	}
	_, err = try(lo + 1)
	if !errors.Is(err, vishnu.ErrCookieTooLarge) {
		t.Fatalf("one byte more: %v, want ErrCookieTooLarge", err)
	}
	var size int
	msg := err.Error()
	if _, after, ok := strings.Cut(msg, "takes "); ok {
		size, _ = strconv.Atoi(strings.Fields(after)[0])
	}
	if size < 3900 || size > 4096 || !strings.Contains(msg, "needs 2 cookies") {
		t.Errorf("the error %q gives %d bytes, want the value's size and the 2 cookies it needs", msg, size)
	}
}
