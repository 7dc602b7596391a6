package vishnu_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// A response that sets the session cookie can never be stored by a shared
// cache: Vary: Cookie and a private Cache-Control; one that sets no cookie
// is left alone.
func TestSetCookieResponsesAreNotSharedCacheable(t *testing.T) {
	cfg, _ := testConfig(newClock())
	mux := http.NewServeMux()
	mux.Handle("/", app())
	mux.HandleFunc("/public", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60, s-maxage=600")
		w.Header().Set("Vary", "Accept-Encoding")
		report(w, vishnu.FromContext(r.Context()).Set("a", "1"))
	})
	b := newBrowser(t, serve(t, newManager(t, cfg), mux))
	for _, tc := range []struct{ path, cacheControl, vary string }{
		{"/set?k=a&v=1", "private", "Cookie"},
		{"/public", "private, max-age=60", "Accept-Encoding, Cookie"},
	} {
		b.setCookie("vishnu", "")
		resp, err := b.c.Get(b.base + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if len(resp.Header.Values("Set-Cookie")) != 1 {
			t.Fatalf("%s: no session cookie", tc.path)
		}
		if got := resp.Header.Get("Cache-Control"); got != tc.cacheControl {
			t.Errorf("%s: Cache-Control %q, want %q", tc.path, got, tc.cacheControl)
		}
		if got := strings.Join(resp.Header.Values("Vary"), ", "); got != tc.vary {
			t.Errorf("%s: Vary %q, want %q", tc.path, got, tc.vary)
		}
	}
	resp, err := b.c.Get(b.base + "/untouched")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Cache-Control") != "" || resp.Header.Get("Vary") != "" {
		t.Errorf("a response without a session cookie got %v", resp.Header)
	}
}

// The error response drops what the handler set, but keeps the headers of
// outer middleware (HSTS) and the deletion cookie of a logout that
// succeeded earlier in the request.
func TestErrorResponseKeepsWhatTheHandlerDidNotWrite(t *testing.T) {
	cfg, st := testConfig(newClock())
	m := newManager(t, cfg)
	mux := http.NewServeMux()
	mux.Handle("/", app())
	mux.HandleFunc("/logout-then-set", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		if err := s.Destroy(); err != nil {
			t.Errorf("Destroy: %v", err)
		}
		s.Set("guest", "1") // a new session, whose save fails
		st.down.Store(true)
		w.Header().Set("X-Handler", "1")
		w.Write([]byte("handler"))
	})
	outer := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Strict-Transport-Security", "max-age=63072000")
			next.ServeHTTP(w, r)
		})
	}
	b := newBrowser(t, newServer(t, outer(m.Handler(mux))))
	b.expect("/set?k=user&v=ann", "ok")
	resp, err := b.c.Get(b.base + "/logout-then-set")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	st.down.Store(false)
	h := resp.Header
	switch {
	case resp.StatusCode != http.StatusInternalServerError:
		t.Errorf("status %d, want the error response", resp.StatusCode)
	case h.Get("X-Handler") != "":
		t.Errorf("the handler's header went out with the error response")
	case h.Get("Strict-Transport-Security") == "":
		t.Errorf("the outer middleware's HSTS header was wiped: %v", h)
	case !expiresCookie(h.Values("Set-Cookie")):
		t.Errorf("the logout's deletion cookie was wiped: %q", h.Values("Set-Cookie"))
	}
	b.expect("/get?k=user", "false:")
}

// The error response is the configured one, for every framework: status,
// headers and body, with Cache-Control: no-store.
func TestConfiguredErrorResponse(t *testing.T) {
	cfg, st := testConfig(newClock())
	var got error
	cfg.ErrorResponse = func(ctx context.Context, err error) vishnu.ErrorResponse {
		got = err
		return vishnu.ErrorResponse{
			Status: http.StatusServiceUnavailable,
			Header: http.Header{"Retry-After": {"5"}},
			Body:   []byte("try again"),
		}
	}
	b := newBrowser(t, serve(t, newManager(t, cfg), app()))
	b.expect("/set?k=a&v=1", "ok")
	st.down.Store(true)
	resp, err := b.c.Get(b.base + "/get?k=a")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "5" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("error response %d %v", resp.StatusCode, resp.Header)
	}
	if got == nil || !strings.Contains(got.Error(), errDown.Error()) {
		t.Errorf("ErrorResponse got %v", got)
	}
}

// A response whose handler only read the session is personal too: it gets
// Vary: Cookie and a Cache-Control no shared cache may store (the
// handler's private directives kept, public and s-maxage dropped), with or
// without a cookie on the request, and without a Set-Cookie. A request
// that never touched its session gets neither header.
func TestReadSessionResponsesAreNotSharedCacheable(t *testing.T) {
	cfg, _ := testConfig(newClock())
	mux := http.NewServeMux()
	mux.Handle("/", app())
	mux.HandleFunc("/public-read", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60, s-maxage=600")
		w.Header().Set("Vary", "Accept-Encoding")
		v, _ := vishnu.Get[string](vishnu.FromContext(r.Context()), "a")
		w.Write([]byte(v))
	})
	b := newBrowser(t, serve(t, newManager(t, cfg), mux))
	check := func(path, cacheControl, vary string) {
		t.Helper()
		resp, err := b.c.Get(b.base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if n := len(resp.Header.Values("Set-Cookie")); n != 0 {
			t.Errorf("%s: %d Set-Cookie lines on a read", path, n)
		}
		if got := resp.Header.Get("Cache-Control"); got != cacheControl {
			t.Errorf("%s: Cache-Control %q, want %q", path, got, cacheControl)
		}
		if got := strings.Join(resp.Header.Values("Vary"), ", "); got != vary {
			t.Errorf("%s: Vary %q, want %q", path, got, vary)
		}
	}
	// No cookie yet: what the page says depends on having none.
	check("/get?k=a", "private", "Cookie")
	check("/public-read", "private, max-age=60", "Accept-Encoding, Cookie")
	check("/untouched", "", "")
	b.expect("/set?k=a&v=1", "ok")
	check("/get?k=a", "private", "Cookie")
	check("/public-read", "private, max-age=60", "Accept-Encoding, Cookie")
	check("/untouched", "", "")
}
