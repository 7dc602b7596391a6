package vishnu_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// guardTargets are request targets and whether the guard's redirect may
// carry them back to the login page's "next" parameter: only a path on this
// host may. A browser reads "//host", "/\host" (and "\\host", "\/host") as
// another host; percent-encoded forms are paths on this host, and travel
// as they are, never decoded into one of those.
var guardTargets = []struct {
	target string
	local  bool
}{
	{"/account", true},
	{"/", true},
	{"/a?x=1&y=/b", true},
	{"/a//b", true},
	{`/a\b`, true},
	{"/%2F/evil.example", true},
	{"/%5Cevil.example", true},
	{"/%2Fevil.example", true},
	{"//evil.example", false},
	{"//evil.example/a?x=1", false},
	{`/\evil.example`, false},
	{`/\/evil.example`, false},
	{`\\evil`, false},
	{`\/evil.example`, false},
	{"evil.example", false},
	{"https://evil.example/", false},
	{"", false},
}

// The redirect of Guard.Check carries a target back only when it is a
// local path.
func TestGuardReturnParamOnlyForLocalPaths(t *testing.T) {
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	g := newGuard(t, m, vishnu.GuardConfig{Key: "user", RedirectTo: "/login", ReturnParam: "next"})
	for _, tc := range guardTargets {
		t.Run(tc.target, func(t *testing.T) {
			var loc string
			h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				resp, ok := g.Check(vishnu.FromContext(r.Context()), tc.target)
				if ok || resp.Status != http.StatusSeeOther {
					t.Errorf("Check(%q) = %d, %v; want a redirect", tc.target, resp.Status, ok)
				}
				loc = resp.Header.Get("Location")
			}))
			b := newBrowser(t, newServer(t, h))
			b.get("/")
			checkGuardLocation(t, tc.target, loc, tc.local)
		})
	}
}

// The guard's Handler takes the target from the request line as the
// client sent it, and applies the same rule.
func TestGuardHandlerReturnParamFromTheRequestLine(t *testing.T) {
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	g := newGuard(t, m, vishnu.GuardConfig{Key: "user", RedirectTo: "/login", ReturnParam: "next"})
	base := serve(t, m, g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a request without the key reached the handler: %s", r.RequestURI)
	})))
	u, _ := url.Parse(base)
	for _, tc := range guardTargets {
		if len(tc.target) == 0 || tc.target[0] != '/' {
			continue // not a request target net/http serves
		}
		t.Run(tc.target, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", tc.target, u.Host)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("GET %s: status %d, want 303", tc.target, resp.StatusCode)
			}
			checkGuardLocation(t, tc.target, resp.Header.Get("Location"), tc.local)
		})
	}
}

func checkGuardLocation(t *testing.T, target, loc string, local bool) {
	t.Helper()
	u, err := url.Parse(loc)
	if err != nil || u.Path != "/login" {
		t.Fatalf("Location %q for %q: want /login (%v)", loc, target, err)
	}
	next, has := u.Query()["next"]
	switch {
	case local && (!has || len(next) != 1 || next[0] != target):
		t.Errorf("Location %q for the local path %q: next = %q, want it as it is", loc, target, next)
	case !local && has:
		t.Errorf("Location %q carries %q, which a browser reads as another host", loc, target)
	}
}
