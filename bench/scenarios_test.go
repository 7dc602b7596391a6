package bench

import (
	"net/http"
	"testing"
)

// TestScenarios checks that every library's handlers do what the scenario
// says, so that the benchmarks compare the same work: the body is right,
// a write is persisted, a new session gets a cookie, and an untouched
// request leaves the session as it was.
func TestScenarios(t *testing.T) {
	checkScenarios(t, libs, []scenario{untouched, read, write, newSession, cookieRead, cookieWrite})
}

// checkScenarios runs the check of TestScenarios on libs and scenarios.
func checkScenarios(t *testing.T, libs []lib, scenarios []scenario) {
	for _, sc := range scenarios {
		for _, l := range libs {
			t.Run(sc.String()+"/lib="+l.name, func(t *testing.T) {
				a, ok := l.app(t, sc)
				if !ok {
					t.Skipf("%s has no %s equivalent", l.name, sc)
				}
				cookie := a.cookie(t, sc)
				probeCookie := cookie
				for i := range 2 {
					res := a.run.do(t, a.cookieName, "/", cookie)
					if res.status != http.StatusOK || res.body != sc.want() {
						t.Fatalf("request %d: status %d, body %q; want 200, %q", i, res.status, res.body, sc.want())
					}
					if (sc == newSession || sc == cookieWrite) && res.cookie == nil {
						t.Fatalf("request %d: no cookie set", i)
					}
					if res.cookie != nil {
						probeCookie = res.cookie.Name + "=" + res.cookie.Value
					}
					if sc == cookieWrite {
						cookie = probeCookie // as a browser would
					}
				}
				if !a.probe.ok() {
					return // bare and the framework baselines have no session
				}
				want := "alice 0"
				if sc == write || sc == cookieWrite {
					want = "alice 2"
				}
				if res := a.probe.do(t, a.cookieName, "/", probeCookie); res.body != want {
					t.Errorf("the session holds %q after the scenario, want %q", res.body, want)
				}
			})
		}
	}
}
