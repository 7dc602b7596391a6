package vishnu_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// faultStore is the memory store with chosen calls made to fail: arm(op, n)
// fails the next n calls of the method named op.
type faultStore struct {
	*vishnu.MemoryStore
	mu    sync.Mutex
	armed map[string]int
}

func newFaultStore(c *clock) *faultStore {
	mem, _ := vishnu.NewMemoryStoreWithOptions(vishnu.MemoryStoreOptions{Clock: c.Now})
	return &faultStore{MemoryStore: mem, armed: map[string]int{}}
}

func (f *faultStore) arm(op string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.armed[op] = n
}

func (f *faultStore) fails(op string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.armed[op] > 0 {
		f.armed[op]--
		return fmt.Errorf("%s: %w", op, errDown)
	}
	return nil
}

func (f *faultStore) Load(ctx context.Context, id string) ([]byte, error) {
	if err := f.fails("Load"); err != nil {
		return nil, err
	}
	return f.MemoryStore.Load(ctx, id)
}

func (f *faultStore) Save(ctx context.Context, id string, data []byte, exp time.Time) error {
	if err := f.fails("Save"); err != nil {
		return err
	}
	return f.MemoryStore.Save(ctx, id, data, exp)
}

func (f *faultStore) Delete(ctx context.Context, id string) error {
	if err := f.fails("Delete"); err != nil {
		return err
	}
	return f.MemoryStore.Delete(ctx, id)
}

func (f *faultStore) Commit(ctx context.Context, id string, c *vishnu.Change) error {
	if err := f.fails("Commit"); err != nil {
		return err
	}
	return f.MemoryStore.Commit(ctx, id, c)
}

func (f *faultStore) AddUserSession(ctx context.Context, user, id string, info []byte, exp time.Time) error {
	if err := f.fails("AddUserSession"); err != nil {
		return err
	}
	return f.MemoryStore.AddUserSession(ctx, user, id, info, exp)
}

// loginApp is usersApp with the pages that log in or regenerate while a
// chosen store call fails (op) or after the headers went out (late), and
// the pages that show and clear the session.
func loginApp(m *vishnu.Manager, fs *faultStore) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", usersApp(m))
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, vishnu.FromContext(r.Context()).User())
	})
	mux.HandleFunc("/clear", func(w http.ResponseWriter, r *http.Request) {
		vishnu.FromContext(r.Context()).Clear()
		report(w, nil)
	})
	// /try-login logs in as u, or (with regen) does what the documented
	// login pattern does: Set("user", u), then Regenerate.
	mux.HandleFunc("/try-login", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		if err := s.Load(); err != nil {
			report(w, err)
			return
		}
		if r.FormValue("late") != "" {
			w.WriteHeader(http.StatusOK)
		}
		// A change of the login page that is not saved before the login.
		err := s.Set("note", "from the login page")
		fs.arm(r.FormValue("op"), 1)
		if err == nil && r.FormValue("regen") != "" {
			if err = s.Set("user", r.FormValue("u")); err == nil {
				err = s.Regenerate()
			}
		} else if err == nil {
			err = s.Login(r.FormValue("u"), "planted")
		}
		fs.arm(r.FormValue("op"), 0)
		if err != nil {
			// The handler answers the failure itself.
			s.ErrorHandled()
			if r.FormValue("late") == "" {
				w.WriteHeader(http.StatusForbidden)
			}
			fmt.Fprint(w, "login failed: ", err)
			return
		}
		report(w, nil)
	})
	return mux
}

func faultManager(t *testing.T) (*vishnu.Manager, *faultStore, *clock) {
	c := newClock()
	cfg, _ := testConfig(c)
	fs := newFaultStore(c)
	cfg.Store = fs
	return newManager(t, cfg), fs, c
}

// minimalStore is a faultStore with only the three methods a Store must
// have and the user index: it is committed by load-change-save.
type minimalStore struct{ fs *faultStore }

func (m minimalStore) Load(ctx context.Context, id string) ([]byte, error) { return m.fs.Load(ctx, id) }
func (m minimalStore) Save(ctx context.Context, id string, data []byte, exp time.Time) error {
	return m.fs.Save(ctx, id, data, exp)
}
func (m minimalStore) Delete(ctx context.Context, id string) error { return m.fs.Delete(ctx, id) }
func (m minimalStore) AddUserSession(ctx context.Context, user, id string, info []byte, exp time.Time) error {
	return m.fs.AddUserSession(ctx, user, id, info, exp)
}
func (m minimalStore) RemoveUserSession(ctx context.Context, user, id string) error {
	return m.fs.RemoveUserSession(ctx, user, id)
}
func (m minimalStore) UserSessions(ctx context.Context, user string) (map[string][]byte, error) {
	return m.fs.UserSessions(ctx, user)
}

// minimalManager is faultManager over a minimalStore.
func minimalManager(t *testing.T) (*vishnu.Manager, *faultStore) {
	c := newClock()
	cfg, _ := testConfig(c)
	fs := newFaultStore(c)
	cfg.Store = minimalStore{fs}
	return newManager(t, cfg), fs
}

// A session bound by Login and regenerated later (a privilege change)
// stays the user's: listed under its new token, with its label, and ended
// by signing out everywhere.
func TestRegenerateKeepsABoundSessionListed(t *testing.T) {
	m, fs, _ := faultManager(t)
	base := serve(t, m, loginApp(m, fs))
	laptop := newBrowser(t, base)
	laptop.expect("/login?u=alice&label=laptop", "ok")
	before := laptop.cookie("vishnu")
	laptop.expect("/regenerate", "ok")
	if laptop.cookie("vishnu") == before {
		t.Fatal("Regenerate kept the token")
	}
	list := sessionsOf(t, laptop)
	if len(list) != 1 || list[0].Label != "laptop" || !list[0].Current {
		t.Fatalf("after Regenerate, alice's sessions are %+v, want the laptop's, current", list)
	}
	phone := newBrowser(t, base)
	phone.expect("/login?u=alice&label=phone", "ok")
	phone.expect("/end-others", "ok")
	laptop.expect("/whoami", "")
	laptop.expect("/new", "true")
}

// A Login that fails, whatever store call fails or when the headers are
// gone, binds nothing: the token planted before login is not alice's, and
// alice lists no session.
func TestFailedLoginBindsNothing(t *testing.T) {
	for _, tc := range []string{"op=Load", "op=Save", "op=AddUserSession", "op=Commit", "late=1", "minimal&op=Delete", "minimal&op=Load"} {
		t.Run(tc, func(t *testing.T) {
			m, fs, _ := faultManager(t)
			if strings.HasPrefix(tc, "minimal") {
				m, fs = minimalManager(t)
			}
			base := serve(t, m, loginApp(m, fs))
			attacker := newBrowser(t, base)
			attacker.expect("/set?k=x&v=1", "ok")
			planted := attacker.cookie("vishnu")
			victim := newBrowser(t, base)
			victim.setCookie("vishnu", planted)

			body, _ := victim.get("/try-login?u=alice&" + tc)
			if !strings.HasPrefix(body, "login failed") {
				t.Fatalf("the login answered %q, want it to fail", body)
			}
			attacker.expect("/whoami", "")
			attacker.expect("/get?k=note", "false:")
			attacker.expect("/get?k=x", "true:1")
			victim.expect("/whoami", "")
			list, err := m.UserSessions(t.Context(), "alice", nil)
			if err != nil || len(list) != 0 {
				t.Fatalf("alice's sessions after a failed login: %+v, %v", list, err)
			}
		})
	}
}

// The documented login pattern (Set, then Regenerate) whose Regenerate
// fails commits nothing of the login under the pre-login token.
func TestFailedRegenerateCommitsNothingUnderTheOldToken(t *testing.T) {
	for _, tc := range []string{"op=Load", "op=Save", "op=Commit", "late=1", "minimal&op=Delete", "minimal&op=Load"} {
		t.Run(tc, func(t *testing.T) {
			m, fs, _ := faultManager(t)
			if strings.HasPrefix(tc, "minimal") {
				m, fs = minimalManager(t)
			}
			base := serve(t, m, loginApp(m, fs))
			attacker := newBrowser(t, base)
			attacker.expect("/set?k=x&v=1", "ok")
			victim := newBrowser(t, base)
			victim.setCookie("vishnu", attacker.cookie("vishnu"))

			body, _ := victim.get("/try-login?regen=1&u=alice&" + tc)
			if !strings.HasPrefix(body, "login failed") {
				t.Fatalf("the login answered %q, want it to fail", body)
			}
			attacker.expect("/get?k=user", "false:")
			attacker.expect("/get?k=note", "false:")
			attacker.expect("/get?k=x", "true:1")
			victim.expect("/get?k=user", "false:")
		})
	}
}

// A logout that wins against a Regenerate in flight stays final even when
// the Regenerate cannot delete the record it wrote: the browser gets no
// cookie for that record.
func TestLogoutWinsWhenTheNewRecordCannotBeDeleted(t *testing.T) {
	c := newClock()
	cfg, _ := testConfig(c)
	fs := newFaultStore(c)
	ps := &pausingStore{countingStore: &countingStore{Store: fs}, read: make(chan struct{}), release: make(chan struct{})}
	cfg.Store = ps
	m := newManager(t, cfg)
	marked := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/regenerate" {
			r = r.WithContext(context.WithValue(r.Context(), pauseKey{}, new(atomic.Int32)))
		}
		m.Handler(app()).ServeHTTP(w, r)
	})
	srv := newServer(t, marked)
	b := newBrowser(t, srv)
	b.expect("/set?k=user&v=ann", "ok")
	other := newBrowser(t, srv)
	other.setCookie("vishnu", b.cookie("vishnu"))

	done := make(chan string)
	go func() { body, _ := b.get("/regenerate"); done <- body }()
	<-ps.read
	other.expect("/destroy", "ok")
	fs.arm("Delete", 1) // the Regenerate's delete of its new record
	close(ps.release)
	if body := <-done; !strings.Contains(body, vishnu.ErrSessionGone.Error()) {
		t.Errorf("Regenerate racing a logout answered %q, want ErrSessionGone", body)
	}
	b.expect("/get?k=user", "false:")
	b.expect("/new", "true")
}

// With a Committer, the old record of a regeneration is ended by a Commit
// that expires it; the Delete that follows only frees it early, and its
// failure does not undo the login.
func TestRegenerateSurvivesAFailedDeleteOfTheExpiredOldRecord(t *testing.T) {
	m, fs, _ := faultManager(t)
	base := serve(t, m, loginApp(m, fs))
	attacker := newBrowser(t, base)
	attacker.expect("/set?k=x&v=1", "ok")
	victim := newBrowser(t, base)
	victim.setCookie("vishnu", attacker.cookie("vishnu"))
	victim.expect("/try-login?u=alice&op=Delete", "ok")
	victim.expect("/whoami", "alice")
	attacker.expect("/whoami", "")
	attacker.expect("/new", "true")
}
