package vishnu_test

import (
	"net/http"
	"strings"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// The session cookie replaces only its own earlier Set-Cookie line of the
// response: an application's cookies stay, even those whose name starts
// with the session cookie's ("vishnu_pref" beside "vishnu") or is a prefix
// of it ("vish"). A session cookie line already on the response is replaced.
func TestSessionCookieKeepsTheApplicationsCookies(t *testing.T) {
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	own := []string{"vishnu_pref=dark", "vish=1", "vishnux=2", "a=vishnu=3", "sessid=5"}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, c := range own {
			w.Header().Add("Set-Cookie", c+"; Path=/")
		}
		s := vishnu.FromContext(r.Context())
		steps := strings.Split(r.FormValue("ops"), ",")
		for _, op := range steps {
			var err error
			switch op {
			case "set":
				err = s.Set("k", "v")
			case "save":
				err = s.Save()
			case "regenerate":
				err = s.Regenerate()
			case "destroy":
				err = s.Destroy()
			case "plant":
				// A session cookie line already on the response (set
				// by a handler or a middleware) is replaced.
				w.Header().Add("Set-Cookie", "vishnu=planted; Path=/")
			case "bare":
				// A malformed line that is just the name is no session
				// cookie: it is left as it is.
				w.Header().Add("Set-Cookie", "vishnu")
			}
			if err != nil {
				t.Errorf("%s: %v", op, err)
			}
		}
		// A cookie the handler adds after the session's stays too.
		w.Header().Add("Set-Cookie", "late=4; Path=/")
	})
	base := serve(t, m, h)
	for _, ops := range []string{"set", "set,save", "set,save,regenerate", "plant,set", "bare,set", "set,save,destroy"} {
		t.Run(ops, func(t *testing.T) {
			b := newBrowser(t, base)
			_, set := b.get("/?ops=" + ops)
			var session []string
			kept := map[string]bool{}
			for _, line := range set {
				if strings.HasPrefix(line, "vishnu=") {
					session = append(session, line)
					continue
				}
				kept[strings.TrimSuffix(line, "; Path=/")] = true
			}
			if strings.HasPrefix(ops, "bare") && !kept["vishnu"] {
				t.Errorf("the bare line is gone: Set-Cookie %q", set)
			}
			for _, c := range append(own, "late=4") {
				if !kept[c] {
					t.Errorf("the application's cookie %q is gone: Set-Cookie %q", c, set)
				}
			}
			if len(session) != 1 {
				t.Fatalf("want one session cookie, got %q", session)
			}
			if ops == "set,save,destroy" {
				if !strings.Contains(session[0], "Max-Age=0") {
					t.Errorf("the destroyed session's cookie %q is not expired", session[0])
				}
				return
			}
			b.expect("/?ops=", "")
			if got := b.cookie("vishnu"); got == "" || !strings.Contains(session[0], got) {
				t.Errorf("the browser holds %q, not the last session cookie %q", got, session[0])
			}
		})
	}
}
