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

// The cookie store's cookie may be 4096 bytes (name, "=" and value), not
// one more; a session that would need more fails with ErrCookieTooLarge,
// which gives the size it would have had.
func TestCookieStoreSizeLimit(t *testing.T) {
	cfg, _ := testConfig(newClock())
	cfg.Store = vishnu.NewCookieStore()
	// A name of five bytes lets name=value reach exactly 4096: base64
	// without padding never makes a value of 4089 bytes (1 mod 4), which
	// the default six-byte name would need.
	cfg.Cookie.Name = "sessn"
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
		line, _, _ := strings.Cut(rec.Header().Get("Set-Cookie"), ";")
		return line, err
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
	if err != nil || len(line) != 4096 {
		t.Fatalf("the largest session makes a cookie of %d bytes (%v), want exactly 4096", len(line), err)
	}
	_, err = try(lo + 1)
	if !errors.Is(err, vishnu.ErrCookieTooLarge) {
		t.Fatalf("one byte more: %v, want ErrCookieTooLarge", err)
	}
	var size int
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		size, _ = strconv.Atoi(strings.TrimSuffix(msg[i+2:], " bytes"))
	}
	if size != 4097 && size != 4098 {
		t.Errorf("the error %q gives %d bytes, want the cookie's size (4097 or 4098)", msg, size)
	}
}
