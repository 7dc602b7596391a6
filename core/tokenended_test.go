package vishnu_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// tokenEndedApp is endApp with /state, which tells who is signed in,
// whether the session was ended elsewhere, whether it is new, and its note.
func tokenEndedApp(m *vishnu.Manager) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", endApp(m, nil))
	mux.HandleFunc("/state", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		note, _ := vishnu.Get[string](s, "note")
		fmt.Fprintf(w, "%s|%v|%v|%s", s.User(), s.EndedElsewhere(), s.IsNew(), note)
	})
	return mux
}

// wantTokenGone checks the answer to the first request of a header session
// ended elsewhere: the request was told, its session is new and empty, and
// the response tells the client to forget its token (the token header,
// empty), never with a cookie, and is not stored by any cache.
func wantTokenGone(t *testing.T, a *apiClient, what string) {
	t.Helper()
	body, resp := a.do("/state")
	if body != "|true|true|" {
		t.Errorf("%s: the first request after the end: %q, want no user, told (EndedElsewhere), a new empty session", what, body)
	}
	if v, ok := resp.Header["X-Session-Token"]; !ok || v[0] != "" {
		t.Errorf("%s: X-Session-Token %q (present %v), want present and empty: the client forgets the token", what, v, ok)
	}
	wantNoCookie(t, resp, what)
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("%s: Cache-Control %q on a token answer, want no-store", what, cc)
	}
}

// TestHeaderTokenEndedElsewhere: sessions whose tokens travel in a header,
// ended from another session of their user (EndUserSessions, then
// EndUserSession of one), are told on their next request, answered with
// an empty token, and gone for good; the session that ended them stays.
func TestHeaderTokenEndedElsewhere(t *testing.T) {
	for _, mode := range []struct {
		name   string
		src    vishnu.TokenSource
		bearer bool
	}{
		{"named header", vishnu.TokenInHeader, false},
		{"bearer", vishnu.TokenInBearer, true},
	} {
		t.Run(mode.name, func(t *testing.T) {
			cfg, _ := headerConfig(newClock(), mode.src)
			m := newManager(t, cfg)
			base := serve(t, m, tokenEndedApp(m))
			client := func(label string) *apiClient {
				a := newAPIClient(t, base, mode.bearer)
				a.expect("/login?u=ann&label="+label, "ok")
				a.expect("/set?k=note&v="+label, "ok")
				if a.token == "" {
					t.Fatalf("%s's login answered no token", label)
				}
				return a
			}
			a, b := client("a"), client("b")
			oldA, tokenB := a.token, b.token

			resp := b.expect("/end-others", "ok")
			if _, ok := resp.Header["X-Session-Token"]; ok {
				t.Error("EndUserSessions answered the session it keeps with a token header")
			}
			wantTokenGone(t, a, "EndUserSessions")
			if a.token != "" {
				t.Fatalf("the client still holds token %q after the answer", a.token)
			}
			replay := *a
			replay.token = oldA
			replay.expect("/state", "|false|true|") // no session, and told only once
			replay.expect("/get?k=note", "false:")

			b.expect("/state", "ann|false|false|b")
			if b.token != tokenB {
				t.Error("the session that ended the others was given another token")
			}

			// EndUserSession ends one header session, named by its ID.
			c := client("c")
			oldC := c.token
			body, _ := b.do("/sessions")
			var list []vishnu.UserSession
			if err := json.Unmarshal([]byte(body), &list); err != nil {
				t.Fatalf("/sessions: %q: %v", body, err)
			}
			var id string
			for _, us := range list {
				if us.Label == "c" {
					id = us.ID
				}
			}
			if len(list) != 2 || id == "" {
				t.Fatalf("ann's sessions: %+v, want b's and c's", list)
			}
			b.expect("/end?id="+id, "ok")
			wantTokenGone(t, c, "EndUserSession")
			replay.token = oldC
			replay.expect("/state", "|false|true|")
			b.expect("/state", "ann|false|false|b")
		})
	}
}
