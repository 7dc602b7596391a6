package vishnu

import (
	"net/http"
	"reflect"
	"testing"
	"time"
)

// TestCookieLineMatchesNetHTTP checks the directly written Set-Cookie line
// against what net/http makes of the same cookie.
func TestCookieLineMatchesNetHTTP(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, cc := range []CookieConfig{
		{},
		{Name: "__Host-s", SameSite: http.SameSiteNoneMode, Partitioned: true},
		{Name: "s", Domain: "example.com", Path: "/app", Insecure: true, ScriptReadable: true, SameSite: http.SameSiteStrictMode},
		{Domain: ".example.org", SameSite: http.SameSiteDefaultMode},
	} {
		m, err := New(Config{Store: NewMemoryStore(), Secret: testSecretA, Cookie: cc, Clock: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			value   string
			timeout time.Duration
		}{{"abc", UntilBrowserCloses}, {"abc", time.Hour}, {"", UntilBrowserCloses}} {
			exp := now.Add(time.Hour)
			want, err := http.ParseSetCookie(m.cookie(tc.value, tc.timeout, exp).String())
			if err != nil {
				t.Fatal(err)
			}
			got, err := http.ParseSetCookie(m.cookieLine(tc.value, tc.timeout, exp))
			if err != nil {
				t.Fatal(err)
			}
			got.Raw, want.Raw = "", ""
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%+v %+v:\n got %+v\nwant %+v", cc, tc, got, want)
			}
		}
	}
	if _, err := New(Config{Store: NewMemoryStore(), Secret: testSecretA, Cookie: CookieConfig{Domain: "bad_domain..com"}}); err == nil {
		t.Error("a domain net/http would drop must be a configuration error")
	}
}
