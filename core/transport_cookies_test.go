package vishnu_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// rawGet requests path with the Cookie header lines given, and returns the
// body.
func rawGet(t *testing.T, base, path string, cookies ...string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cookies {
		req.Header.Add("Cookie", c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// The session cookie is found among the request's cookies as browsers send
// them: quoted or not, among others, in any Cookie line, and among up to
// four cookies of its name (one per path or domain), but not further.
func TestSessionCookieFoundAmongTheRequestsCookies(t *testing.T) {
	cfg, _ := testConfig(newClock())
	base := serve(t, newManager(t, cfg), app())
	b := newBrowser(t, base)
	b.expect("/set?k=a&v=1", "ok")
	v := b.cookie("vishnu")
	bad := "AAAA" + v[4:] // the right shape, a wrong signature
	for _, tc := range []struct {
		name    string
		cookies []string
		found   bool
	}{
		{"plain", []string{"vishnu=" + v}, true},
		{"quoted", []string{`vishnu="` + v + `"`}, true},
		{"half quoted", []string{`vishnu="` + v}, false},
		{"quoted at the end only", []string{`vishnu=` + v + `"`}, false},
		{"a lone quote", []string{`vishnu="`}, false},
		{"empty", []string{`vishnu=`, `vishnu`}, false},
		{"among others", []string{"a=1; vishnu_pref=2; vishnu=" + v + "; b=3"}, true},
		{"in a second line", []string{"a=1", "vishnu=" + v}, true},
		{"second of its name", []string{"vishnu=" + bad + "; vishnu=" + v}, true},
		{"fourth of its name", []string{"vishnu=1; vishnu=2; vishnu=" + bad + "; vishnu=" + v}, true},
		{"fifth of its name", []string{"vishnu=1; vishnu=2; vishnu=3", "vishnu=" + bad + "; vishnu=" + v}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := "false:"
			if tc.found {
				want = "true:1"
			}
			if got := rawGet(t, base, "/get?k=a", tc.cookies...); got != want {
				t.Errorf("Cookie %q: %q, want %q", tc.cookies, got, want)
			}
		})
	}
}

// The headers that keep shared caches off a personal response are added to
// the handler's own, whichever of them it set.
func TestPrivateHeadersMergeWithTheHandlers(t *testing.T) {
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := r.FormValue("vary"); v != "" {
			w.Header().Set("Vary", v)
		}
		if cc := r.FormValue("cc"); cc != "" {
			w.Header().Set("Cache-Control", cc)
		}
		app().ServeHTTP(w, r)
	})
	base := serve(t, m, h)
	for _, tc := range []struct {
		query, vary, cc string
	}{
		{"", "Cookie", "private"},
		{"vary=Accept-Encoding", "Accept-Encoding, Cookie", "private"},
		{"cc=max-age%3D60", "Cookie", "private, max-age=60"},
		{"vary=Accept&cc=no-store", "Accept, Cookie", "no-store"},
	} {
		b := newBrowser(t, base)
		resp, err := b.c.Get(base + "/set?k=a&v=1&" + tc.query)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := strings.Join(resp.Header.Values("Vary"), ", "); got != tc.vary {
			t.Errorf("%s: Vary %q, want %q", tc.query, got, tc.vary)
		}
		if got := strings.Join(resp.Header.Values("Cache-Control"), ", "); got != tc.cc {
			t.Errorf("%s: Cache-Control %q, want %q", tc.query, got, tc.cc)
		}
	}
}
