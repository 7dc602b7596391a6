package vishnu_test

import (
	"context"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// One user ends only their own sessions: an id of another user's session,
// passed to EndUserSession, or even found in the user's own index (an
// entry left by a store that was restored, or written by anyone who can
// reach the index), is left alone, and never listed as theirs.
func TestEndingSessionsOnlyEndsTheNamedUsers(t *testing.T) {
	for _, via := range []string{"/end?id=", "/end-others", "/sessions"} {
		t.Run(via, func(t *testing.T) {
			c := newClock()
			cfg, st := testConfig(c)
			m := newManager(t, cfg)
			base := serve(t, m, usersApp(m))
			ann, bob := newBrowser(t, base), newBrowser(t, base)
			ann.expect("/login?u=ann&label=ann", "ok")
			bob.expect("/login?u=bob&label=bob", "ok")
			bob.expect("/set?k=x&v=1", "ok")
			bobs := sessionsOf(t, bob)
			if len(bobs) != 1 {
				t.Fatalf("bob's sessions: %+v", bobs)
			}
			bobID := bobs[0].ID

			// Not in ann's index: EndUserSession leaves it alone.
			if via == "/end?id=" {
				ann.expect(via+bobID, "ok")
				bob.expect("/get?k=x", "true:1")
			}
			// In ann's index too: still bob's.
			idx := st.Store.(vishnu.UserIndex)
			if err := idx.AddUserSession(context.Background(), "ann", bobID, nil, c.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			switch via {
			case "/sessions":
				for _, us := range sessionsOf(t, ann) {
					if us.ID == bobID {
						t.Errorf("bob's session is listed as ann's: %+v", us)
					}
				}
			case "/end?id=":
				ann.expect(via+bobID, "ok")
			default:
				ann.expect(via, "ok")
			}
			bob.expect("/get?k=x", "true:1")
			if got := sessionsOf(t, bob); len(got) != 1 || got[0].ID != bobID {
				t.Errorf("bob's sessions after ann's %s: %+v", via, got)
			}
			if err := m.EndUserSession(context.Background(), "bob", bobID); err != nil {
				t.Fatal(err)
			}
			bob.expect("/get?k=x", "false:")
		})
	}
}
