package vishnu_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// outer is middleware outside the session's: it sets a Vary, a cookie of
// its own and a security header before the session middleware runs.
func outer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Origin")
		w.Header().Add("Set-Cookie", "csrf=1; Path=/")
		w.Header().Set("Strict-Transport-Security", "max-age=63072000")
		next.ServeHTTP(w, r)
	})
}

func varyTokens(h http.Header) []string {
	var out []string
	for _, v := range h.Values("Vary") {
		for tok := range strings.SplitSeq(v, ",") {
			out = append(out, strings.TrimSpace(tok))
		}
	}
	slices.Sort(out)
	return out
}

// The error response sent in place of the handler's adds its Vary and
// Set-Cookie to those outer middleware set, never replaces them: a cache
// keyed on Origin stays keyed on it, and the outer cookie still goes out.
func TestErrorResponseAddsToOuterVary(t *testing.T) {
	cfg, st := testConfig(newClock())
	cfg.ErrorResponse = func(context.Context, error) vishnu.ErrorResponse {
		return vishnu.ErrorResponse{Status: 503, Header: http.Header{"Vary": {"Accept"}, "X-Error": {"1"}}, Body: []byte("down")}
	}
	m := newManager(t, cfg)
	mux := http.NewServeMux()
	mux.Handle("/", app())
	mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Accept-Language") // the handler's, dropped
		st.down.Store(true)
		defer st.down.Store(false)
		_ = vishnu.FromContext(r.Context()).Destroy()
		w.Write([]byte("logged out"))
	})
	mux.HandleFunc("/handled", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Language") // the handler's own, kept by HandleError
		vishnu.FromContext(r.Context()).Has("a")  // loaded: the Delete alone fails
		st.down.Store(true)
		defer st.down.Store(false)
		err := vishnu.FromContext(r.Context()).Destroy()
		vishnu.FromContext(r.Context()).ErrorHandled()
		m.HandleError(w, r, err)
	})
	base := newServer(t, outer(m.Handler(mux)))
	b := newBrowser(t, base)
	b.expect("/set?k=a&v=1", "ok")

	for path, want := range map[string][]string{
		"/logout":  {"Accept", "Cookie", "Origin"},
		"/handled": {"Accept", "Accept-Language", "Cookie", "Origin"},
	} {
		t.Run(path, func(t *testing.T) {
			b := newBrowser(t, base)
			b.expect("/set?k=a&v=1", "ok")
			resp, err := b.c.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 503 {
				t.Fatalf("status %d, want the error response's 503", resp.StatusCode)
			}
			if got := varyTokens(resp.Header); !slices.Equal(got, want) {
				t.Errorf("Vary %q, want %q", got, want)
			}
			set := resp.Header.Values("Set-Cookie")
			if !slices.Contains(set, "csrf=1; Path=/") {
				t.Errorf("the outer cookie is gone: Set-Cookie %q", set)
			}
			if !slices.ContainsFunc(set, func(l string) bool { return strings.HasPrefix(l, "vishnu=;") }) {
				t.Errorf("the failed logout's cookie is not expired: Set-Cookie %q", set)
			}
			if resp.Header.Get("Strict-Transport-Security") == "" || resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Error") != "1" {
				t.Errorf("headers %v: want the outer HSTS, the error response's X-Error and Cache-Control no-store", resp.Header)
			}
		})
	}
}

// MergeHeader adds Vary and Set-Cookie whatever their spelling in the error
// response, and replaces the rest.
func TestMergeHeaderAddsVaryAndCookies(t *testing.T) {
	resp := vishnu.ErrorResponse{Header: http.Header{
		"Vary":          {"Cookie"},
		"Set-Cookie":    {"vishnu=; Max-Age=0"},
		"Cache-Control": {"no-store"},
		"Content-Type":  {"text/plain"},
	}, Body: []byte("down")}
	for _, sessionOnly := range []bool{false, true} {
		h := http.Header{
			"Vary":          {"Origin"},
			"Set-Cookie":    {"csrf=1"},
			"Cache-Control": {"public"},
			"Content-Type":  {"text/html"},
		}
		resp.MergeHeader(h, sessionOnly)
		want := http.Header{
			"Vary":           {"Origin", "Cookie"},
			"Set-Cookie":     {"csrf=1", "vishnu=; Max-Age=0"},
			"Cache-Control":  {"no-store"},
			"Content-Type":   {"text/plain"},
			"Content-Length": {"4"},
		}
		if sessionOnly {
			want["Content-Type"] = []string{"text/html"}
			delete(want, "Content-Length")
		}
		for k, v := range want {
			if !slices.Equal(h[k], v) {
				t.Errorf("sessionOnly=%v: %s = %q, want %q", sessionOnly, k, h[k], v)
			}
		}
		if len(h) != len(want) {
			t.Errorf("sessionOnly=%v: headers %v, want %v", sessionOnly, h, want)
		}
	}
}
