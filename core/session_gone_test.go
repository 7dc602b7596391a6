package vishnu_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// basicStore hides every capability of the store it holds but Store's own
// methods (no Committer, Toucher or UserIndex), so that the
// load-apply-save path is taken.
type basicStore struct{ vishnu.Store }

// A request that loaded its session before another request destroyed it
// (a logout in another tab) cannot bring it back: Save and Regenerate say
// so with ErrSessionGone, the commit point drops the changes, and the
// session stays destroyed.
func TestChangesToASessionDestroyedMeanwhile(t *testing.T) {
	type step struct {
		name string
		act  func(s *vishnu.Session) error
		want error // what act returns
		// noWrite: nothing is written to the store on the way (a
		// Regenerate of a session found destroyed creates no record).
		noWrite bool
	}
	steps := []step{
		{"Save", func(s *vishnu.Session) error {
			if err := s.Set("b", "2"); err != nil {
				return err
			}
			return s.Save()
		}, vishnu.ErrSessionGone, false},
		{"Regenerate", func(s *vishnu.Session) error {
			if err := s.Set("b", "2"); err != nil {
				return err
			}
			return s.Regenerate()
		}, vishnu.ErrSessionGone, true},
		{"Regenerate unchanged", (*vishnu.Session).Regenerate, vishnu.ErrSessionGone, true},
		{"commit point", func(s *vishnu.Session) error { return s.Set("b", "2") }, nil, false},
		{"flash read, then Save", func(s *vishnu.Session) error {
			vishnu.PopFlash[string](s, "msg")
			return s.Save()
		}, vishnu.ErrSessionGone, false},
	}
	stores := map[string]func(*countingStore) vishnu.Store{
		"committer": func(st *countingStore) vishnu.Store { return st },
		"basic":     func(st *countingStore) vishnu.Store { return basicStore{st} },
	}
	for storeName, newStore := range stores {
		for _, st := range steps {
			t.Run(storeName+"/"+st.name, func(t *testing.T) {
				cfg, counted := testConfig(newClock())
				cfg.Store = newStore(counted)
				m := newManager(t, cfg)
				loaded, release := make(chan struct{}), make(chan struct{})
				result := make(chan error, 1)
				mux := http.NewServeMux()
				mux.Handle("/", app())
				mux.HandleFunc("/late", func(w http.ResponseWriter, r *http.Request) {
					s := vishnu.FromContext(r.Context())
					if _, ok := vishnu.Get[string](s, "a"); !ok {
						t.Error("the session was not there before the logout")
					}
					loaded <- struct{}{}
					<-release
					err := st.act(s)
					result <- err
					fmt.Fprint(w, errText(err))
				})
				srv := serve(t, m, mux)
				b := newBrowser(t, srv)
				b.expect("/flash?k=msg&v=hi", "ok")
				b.expect("/set?k=a&v=1", "ok")
				other := newBrowser(t, srv)
				other.setCookie("vishnu", b.cookie("vishnu"))

				done := make(chan struct{})
				go func() { defer close(done); b.get("/late") }()
				<-loaded
				other.expect("/destroy", "ok")
				before := counted.writes()
				close(release)
				<-done
				if n := counted.writes() - before; st.noWrite && n != 0 {
					t.Errorf("%s of a destroyed session wrote to the store %d times", st.name, n)
				}
				if err := <-result; !errors.Is(err, st.want) || (st.want == nil && err != nil) {
					t.Errorf("%s after the logout = %v, want %v", st.name, err, st.want)
				}
				b.expect("/get?k=a", "false:")
				b.expect("/get?k=b", "false:")
				b.expect("/pop?k=msg", "false:")
				other.expect("/get?k=a", "false:")
			})
		}
	}
}
