package vishnu_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// changeSpy records every Change a Committer sees.
type changeSpy struct {
	*countingStore
	mu      sync.Mutex
	changes []vishnu.Change
}

func (s *changeSpy) Commit(ctx context.Context, id string, c *vishnu.Change) error {
	s.mu.Lock()
	s.changes = append(s.changes, *c)
	s.mu.Unlock()
	return s.countingStore.Commit(ctx, id, c)
}

// A request in flight that calls Regenerate after another request logged
// the user out must not bring the session back under a new token.
func TestRegenerateRacingLogoutStaysLoggedOut(t *testing.T) {
	cfg, st := testConfig(newClock())
	loaded, release := make(chan struct{}), make(chan struct{})
	b := newBrowser(t, serve(t, newManager(t, cfg), gated(loaded, release)))
	b.expect("/set?k=user&v=ann", "ok")
	cookie := b.cookie("vishnu")

	other := newBrowser(t, b.base) // the same user, another tab
	other.setCookie("vishnu", cookie)
	done := make(chan string)
	go func() { body, _ := other.get("/slowregen"); done <- body }()
	<-loaded
	b.expect("/destroy", "ok") // logout
	close(release)
	body := <-done
	if n := st.Store.(*vishnu.MemoryStore).Len(); n != 0 {
		t.Errorf("Regenerate (%s) brought the destroyed session back: %d records", body, n)
	}
	got, _ := other.get("/get?k=user")
	if got != "false:" {
		t.Errorf("after logout, the tab that regenerated is still logged in: %q", got)
	}
}

// PopFlash then Flash (or Set) of the same key must not put the name in
// both Change.Set and Change.Delete, which the Change contract forbids.
func TestFlashReadAndSetAgainMakesAValidChange(t *testing.T) {
	cfg, st := testConfig(newClock())
	spy := &changeSpy{countingStore: st}
	cfg.Store = spy
	mux := http.NewServeMux()
	mux.Handle("/", app())
	mux.HandleFunc("/reflash", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		vishnu.PopFlash[string](s, "msg")
		report(w, s.Flash("msg", "second"))
	})
	b := newBrowser(t, serve(t, newManager(t, cfg), mux))
	b.expect("/flash?k=msg&v=first", "ok")
	b.expect("/reflash", "ok")
	spy.mu.Lock()
	changes := spy.changes
	spy.mu.Unlock()
	for _, c := range changes {
		for _, f := range c.Set {
			if slices.Contains(c.Delete, f.Key) {
				t.Fatalf("Change has %q in both Set and Delete: %+v", f.Key, c)
			}
		}
	}
	b.expect("/pop?k=msg", "true:second")
}

// With AutoSave off, a flash read before an unsaved Clear stays read: its
// deletion is committed even without AutoSave, Clear or not.
func TestFlashReadBeforeClearStaysRead(t *testing.T) {
	cfg, _ := testConfig(newClock())
	cfg.AutoSave = false
	mux := http.NewServeMux()
	mux.Handle("/", app())
	mux.HandleFunc("/popclear", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		v, ok := vishnu.PopFlash[string](s, "msg")
		s.Clear() // unsaved: dropped, as documented
		fmt.Fprintf(w, "%v:%s", ok, v)
	})
	b := newBrowser(t, serve(t, newManager(t, cfg), mux))
	b.expect("/flash?k=msg&v=hi&save=1", "ok")
	b.expect("/popclear", "true:hi")
	b.expect("/pop?k=msg", "false:")
}

// With AutoSave off, an unsaved SetTimeout moves nothing: neither the
// cookie nor the record's expiry follow it.
func TestUnsavedSetTimeoutMovesNothing(t *testing.T) {
	c := newClock()
	cfg, _ := testConfig(c)
	cfg.AutoSave = false
	cfg.Timeout = time.Hour
	b := newBrowser(t, serve(t, newManager(t, cfg), app()))
	b.expect("/save?k=a&v=1", "ok")
	if set := b.expect("/timeout?d=720h", "ok"); len(set) != 0 {
		t.Errorf("an unsaved SetTimeout sent a cookie: %q", set)
	}
	c.Add(2 * time.Hour) // idle longer than the (unchanged) one-hour timeout
	b.expect("/get?k=a", "false:")
}

// SetTimeout (shorter) then Save after the headers went out: the record's
// expiry must be brought forward, so the new idle timeout is enforced.
func TestTimeoutShortenedAfterHeadersIsEnforced(t *testing.T) {
	c := newClock()
	cfg, st := testConfig(c)
	spy := &changeSpy{countingStore: st}
	cfg.Store = spy
	cfg.AutoSave = false
	cfg.Timeout = time.Hour
	mux := http.NewServeMux()
	mux.Handle("/", app())
	errs := make(chan error, 2)
	mux.HandleFunc("/late", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		w.Write([]byte("streaming"))
		errs <- s.SetTimeout(time.Hour)
		errs <- s.Save()
	})
	mux.HandleFunc("/to", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, vishnu.FromContext(r.Context()).Timeout())
	})
	b := newBrowser(t, serve(t, newManager(t, cfg), mux))
	b.expect("/save?k=a&v=1", "ok")
	b.expect("/timeout?d=720h&save=1", "ok")
	b.expect("/to", "720h0m0s") // the 30 days are stored
	b.expect("/late", "streaming")
	if e1, e2 := <-errs, <-errs; e1 != nil || e2 != nil {
		t.Fatalf("SetTimeout(1h)=%v, Save=%v after the headers", e1, e2)
	}
	spy.mu.Lock()
	last := spy.changes[len(spy.changes)-1]
	spy.mu.Unlock()
	if limit := c.Now().Add(time.Hour); last.Expires.After(limit) {
		t.Errorf("the late Save wrote expiry %v, past the new timeout's %v", last.Expires, limit)
	}
	b.expect("/to", "1h0m0s")
	c.Add(2 * time.Hour)
	b.expect("/get?k=a", "false:")
}

// With AutoSave on, a Set after the headers on a new session cannot be
// delivered: Set must say so instead of losing it silently.
func TestLateSetThatCannotBeDeliveredIsAnError(t *testing.T) {
	cfg, st := testConfig(newClock())
	mux := http.NewServeMux()
	errs := make(chan error, 1)
	mux.HandleFunc("/late", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("streaming"))
		errs <- vishnu.FromContext(r.Context()).Set("a", "1")
	})
	b := newBrowser(t, serve(t, newManager(t, cfg), mux))
	b.expect("/late", "streaming")
	if err := <-errs; !errors.Is(err, vishnu.ErrHeadersWritten) {
		t.Errorf("Set after the headers on a new session: %v, want ErrHeadersWritten", err)
	}
	if n := st.saves.Load(); n != 0 {
		t.Errorf("an undeliverable session was saved %d times", n)
	}
}

// Browsers match the __Host- and __Secure- prefixes case-insensitively
// (RFC 6265bis), so "__HOST-sid" with a Domain is a cookie browsers reject.
func TestCookiePrefixesIgnoreCase(t *testing.T) {
	cfg, _ := testConfig(newClock())
	cfg.Cookie = vishnu.CookieConfig{Name: "__HOST-sid", Domain: "example.com"}
	if _, err := vishnu.New(cfg); err == nil {
		t.Error("New accepted __HOST- with a Domain")
	}
	cfg.Cookie = vishnu.CookieConfig{Name: "__secure-sid", Insecure: true}
	if _, err := vishnu.New(cfg); err == nil {
		t.Error("New accepted __secure- without Secure")
	}
}

// A timeout past what a browser keeps is refused; the longest allowed, and
// an expiry centuries away, still persist in the memory store.
func TestTimeoutBounds(t *testing.T) {
	cfg, _ := testConfig(newClock())
	cfg.Timeout = time.Duration(math.MaxInt64)
	if _, err := vishnu.New(cfg); err == nil {
		t.Fatal("New accepted a timeout past MaxTimeout")
	}
	cfg.Timeout = vishnu.MaxTimeout
	b := newBrowser(t, serve(t, newManager(t, cfg), app()))
	b.expect("/set?k=a&v=1", "ok")
	b.expect("/get?k=a", "true:1")
	b.expect("/timeout?d=10000h", "error: vishnu: session timeout must be UntilBrowserCloses or between one second and MaxTimeout, got 10000h0m0s")

	st := vishnu.NewMemoryStore()
	st.Save(context.Background(), "far", vishnu.EncodeRecord(nil), time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC))
	if _, err := st.Load(context.Background(), "far"); err != nil {
		t.Fatalf("a record expiring in year 3000: %v", err)
	}
}

// A request carrying many copies of one validly signed cookie whose record
// is gone must not make one store Load per copy.
func TestManyCookiesCostFewStoreLoads(t *testing.T) {
	cfg, st := testConfig(newClock())
	b := newBrowser(t, serve(t, newManager(t, cfg), app()))
	b.expect("/set?k=a&v=1", "ok")
	dead := b.cookie("vishnu")
	b.expect("/destroy", "ok") // the record is gone; the value stays signed
	before := st.loads.Load()
	req, _ := http.NewRequest("GET", b.base+"/get?k=a", nil)
	for range 200 {
		req.AddCookie(&http.Cookie{Name: "vishnu", Value: dead})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := st.loads.Load() - before; n > 2 {
		t.Errorf("one request made %d store loads", n)
	}
}

// Regenerate must start from the record as stored, so that a key another
// request committed meanwhile is kept (and a key it deleted stays deleted).
func TestRegenerateKeepsConcurrentUpdates(t *testing.T) {
	cfg, _ := testConfig(newClock())
	loaded, release := make(chan struct{}), make(chan struct{})
	b := newBrowser(t, serve(t, newManager(t, cfg), gated(loaded, release)))
	b.expect("/set?k=user&v=ann", "ok")
	other := newBrowser(t, b.base)
	other.setCookie("vishnu", b.cookie("vishnu"))
	done := make(chan struct{})
	go func() { defer close(done); other.expect("/slowregen", "ok") }()
	<-loaded
	b.expect("/set?k=cart&v=3", "ok") // committed before the regeneration
	close(release)
	<-done
	other.expect("/keys", "cart,user")
}
