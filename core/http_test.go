package vishnu_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

func TestCounterAcrossRequests(t *testing.T) {
	cfg, _ := testConfig(newClock())
	b := newBrowser(t, serve(t, newManager(t, cfg), app()))
	b.expect("/new", "true")
	if set := b.expect("/set?k=a&v=1", "ok"); len(set) != 1 {
		t.Fatalf("a new session with data must set one cookie, got %q", set)
	}
	b.expect("/get?k=a", "true:1")
	b.expect("/new", "false")
	b.expect("/set?k=a&v=2", "ok")
	b.expect("/get?k=a", "true:2")
}

func TestAutoSaveOffDropsUnsavedChanges(t *testing.T) {
	cfg, _ := testConfig(newClock())
	cfg.AutoSave = false
	b := newBrowser(t, serve(t, newManager(t, cfg), app()))
	if set := b.expect("/set?k=a&v=1", "ok"); len(set) != 0 {
		t.Fatalf("unsaved new session must not set a cookie, got %q", set)
	}
	b.expect("/get?k=a", "false:")
	b.expect("/save?k=a&v=1", "ok")
	b.expect("/get?k=a", "true:1")
	b.expect("/set?k=a&v=2", "ok")
	b.expect("/get?k=a", "true:1")
	b.expect("/save?k=a&v=3", "ok")
	b.expect("/get?k=a", "true:3")
}

func TestUntouchedRequestNeverReachesTheStore(t *testing.T) {
	cfg, st := testConfig(newClock())
	b := newBrowser(t, serve(t, newManager(t, cfg), app()))
	b.expect("/set?k=a&v=1", "ok")
	loads, writes := st.loads.Load(), st.writes()
	if set := b.expect("/untouched", "hello"); len(set) != 0 {
		t.Fatalf("untouched request set %q", set)
	}
	if st.loads.Load() != loads || st.writes() != writes {
		t.Fatal("an untouched request reached the store")
	}
}

func TestUnchangedSessionIsNotRewritten(t *testing.T) {
	cfg, st := testConfig(newClock())
	b := newBrowser(t, serve(t, newManager(t, cfg), app()))
	b.expect("/set?k=a&v=1", "ok")
	writes := st.writes()
	for range 3 {
		if set := b.expect("/get?k=a", "true:1"); len(set) != 0 {
			t.Fatalf("unchanged session sent Set-Cookie %q", set)
		}
	}
	if st.writes() != writes {
		t.Fatalf("unchanged session was written %d times", st.writes()-writes)
	}
}

func TestExpiryRefreshIsThrottled(t *testing.T) {
	c := newClock()
	cfg, st := testConfig(c)
	cfg.Timeout = 100 * time.Second
	b := newBrowser(t, serve(t, newManager(t, cfg), app()))
	b.expect("/set?k=a&v=1", "ok")
	c.Add(9 * time.Second) // under a tenth of the timeout: no refresh
	if set := b.expect("/get?k=a", "true:1"); len(set) != 0 {
		t.Fatalf("refresh before a tenth of the timeout: %q", set)
	}
	c.Add(2 * time.Second)
	set := b.expect("/get?k=a", "true:1")
	if len(set) != 1 || !strings.Contains(set[0], "Max-Age=100") {
		t.Fatalf("refresh after a tenth of the timeout must re-send the cookie, got %q", set)
	}
	if st.touches.Load() != 1 {
		t.Fatalf("refresh must use Touch once, got %d", st.touches.Load())
	}
	// Kept alive by use, the session outlives its timeout.
	for range 5 {
		c.Add(50 * time.Second)
		b.expect("/get?k=a", "true:1")
	}
	c.Add(101 * time.Second)
	b.expect("/get?k=a", "false:")
}

func TestServerEnforcesExpiry(t *testing.T) {
	c := newClock()
	cfg, st := testConfig(c)
	cfg.Timeout = time.Minute
	base := serve(t, newManager(t, cfg), app())
	b := newBrowser(t, base)
	b.expect("/set?k=a&v=1", "ok")
	value := b.cookie("vishnu")
	c.Add(61 * time.Second)
	// The cookie is replayed by hand past its expiry: still no session.
	b2 := newBrowser(t, base)
	b2.setCookie("vishnu", value)
	b2.expect("/get?k=a", "false:")
	if st.Store.(*vishnu.MemoryStore).Len() != 0 {
		t.Fatal("the expired record is still in the store")
	}
}

func TestAbsoluteTimeout(t *testing.T) {
	c := newClock()
	cfg, _ := testConfig(c)
	cfg.Timeout = time.Hour
	cfg.AbsoluteTimeout = 2 * time.Hour
	b := newBrowser(t, serve(t, newManager(t, cfg), app()))
	b.expect("/set?k=a&v=1", "ok")
	for range 3 {
		c.Add(35 * time.Minute)
		b.expect("/get?k=a", "true:1")
	}
	c.Add(16 * time.Minute) // 2h01 after creation, 16 minutes after last use
	b.expect("/get?k=a", "false:")
}

// The expiry written to the cookie and the record never passes the
// absolute timeout: a store's own expiry removes the session on time.
func TestAbsoluteTimeoutCapsTheWrittenExpiry(t *testing.T) {
	c := newClock()
	cfg, st := testConfig(c)
	spy := &changeSpy{countingStore: st}
	cfg.Store = spy
	cfg.Timeout = 24 * time.Hour
	cfg.AbsoluteTimeout = 2 * time.Hour
	b := newBrowser(t, serve(t, newManager(t, cfg), app()))
	if set := b.expect("/set?k=a&v=1", "ok"); len(set) != 1 || !strings.Contains(set[0], "Max-Age=7200") {
		t.Fatalf("cookie %q, want Max-Age=7200 (the absolute timeout)", set)
	}
	c.Add(90 * time.Minute)
	b.expect("/set?k=a&v=2", "ok")
	spy.mu.Lock()
	last := spy.changes[len(spy.changes)-1]
	spy.mu.Unlock()
	if want := c.Now().Add(30 * time.Minute); !last.Expires.Equal(want) {
		t.Errorf("the record's expiry is %v, want %v", last.Expires, want)
	}
}

func TestBrowserSessionCookieHasNoExpiryButServerForgets(t *testing.T) {
	c := newClock()
	cfg, _ := testConfig(c)
	cfg.BrowserSessionTimeout = time.Hour
	b := newBrowser(t, serve(t, newManager(t, cfg), app()))
	set := b.expect("/set?k=a&v=1", "ok")
	if len(set) != 1 || strings.Contains(set[0], "Max-Age") || strings.Contains(set[0], "Expires") {
		t.Fatalf("a browser-session cookie must carry no Max-Age or Expires: %q", set)
	}
	c.Add(61 * time.Minute)
	b.expect("/get?k=a", "false:")
}

func TestPerSessionTimeout(t *testing.T) {
	cfg, _ := testConfig(newClock())
	cfg.Timeout = 20 * time.Minute
	b := newBrowser(t, serve(t, newManager(t, cfg), app()))
	set := b.expect("/set?k=a&v=1", "ok")
	if !strings.Contains(set[0], "Max-Age=1200") {
		t.Fatalf("default timeout: %q", set)
	}
	set = b.expect("/timeout?d=720h", "ok")
	if len(set) != 1 || !strings.Contains(set[0], "Max-Age=2592000") {
		t.Fatalf("SetTimeout(30 days) must re-send the cookie with Max-Age=2592000, got %q", set)
	}
	set = b.expect("/timeout?d=0s", "ok")
	if len(set) != 1 || strings.Contains(set[0], "Max-Age") {
		t.Fatalf("SetTimeout(UntilBrowserCloses) must send a cookie without Max-Age, got %q", set)
	}
	b.expect("/get?k=a", "true:1")
	b.expect("/timeout?d=10ms", "error: vishnu: session timeout must be UntilBrowserCloses or between one second and MaxTimeout, got 10ms")
}

func TestRegenerate(t *testing.T) {
	cfg, _ := testConfig(newClock())
	base := serve(t, newManager(t, cfg), app())
	b := newBrowser(t, base)
	b.expect("/set?k=user&v=ann", "ok")
	before := b.cookie("vishnu")
	if set := b.expect("/regenerate", "ok"); len(set) != 1 {
		t.Fatalf("regenerate must send a new cookie, got %q", set)
	}
	after := b.cookie("vishnu")
	if after == before {
		t.Fatal("regenerate kept the token")
	}
	b.expect("/get?k=user", "true:ann")
	old := newBrowser(t, base)
	old.setCookie("vishnu", before)
	old.expect("/get?k=user", "false:")
}

func TestDestroy(t *testing.T) {
	cfg, _ := testConfig(newClock())
	base := serve(t, newManager(t, cfg), app())
	b := newBrowser(t, base)
	b.expect("/set?k=user&v=ann", "ok")
	value := b.cookie("vishnu")
	set := b.expect("/destroy", "ok")
	if len(set) != 1 || !strings.Contains(set[0], "Max-Age=0") {
		t.Fatalf("destroy must expire the cookie, got %q", set)
	}
	if b.cookie("vishnu") != "" {
		t.Fatal("the browser still holds the cookie")
	}
	b.expect("/get?k=user", "false:")
	replay := newBrowser(t, base)
	replay.setCookie("vishnu", value)
	replay.expect("/get?k=user", "false:")
}

func TestDestroyThenSetStartsANewSession(t *testing.T) {
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	mux := http.NewServeMux()
	mux.Handle("/", app())
	mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		if err := s.Destroy(); err != nil {
			t.Error(err)
		}
		report(w, s.Flash("msg", "bye"))
	})
	b := newBrowser(t, serve(t, m, mux))
	b.expect("/set?k=user&v=ann", "ok")
	old := b.cookie("vishnu")
	if set := b.expect("/logout", "ok"); len(set) != 1 || strings.Contains(set[0], "Max-Age=0") {
		t.Fatalf("a new session after Destroy replaces the expiring cookie with its own: %q", set)
	}
	if b.cookie("vishnu") == old {
		t.Fatal("the new session reused the destroyed token")
	}
	b.expect("/get?k=user", "false:")
	b.expect("/pop?k=msg", "true:bye")
}

func TestFlashIsReadOnce(t *testing.T) {
	for _, autoSave := range []bool{true, false} {
		cfg, _ := testConfig(newClock())
		cfg.AutoSave = autoSave
		b := newBrowser(t, serve(t, newManager(t, cfg), app()))
		b.expect("/save?k=a&v=1", "ok")
		if autoSave {
			b.expect("/flash?k=msg&v=hi", "ok")
		} else {
			b.expect("/flash?k=msg&v=hi&save=1", "ok")
		}
		b.expect("/pop?k=msg", "true:hi")
		b.expect("/pop?k=msg", "false:")
		b.expect("/pop?k=a", "false:") // not a flash
		b.expect("/get?k=a", "true:1")
	}
}

func TestDeleteAndKeys(t *testing.T) {
	cfg, _ := testConfig(newClock())
	b := newBrowser(t, serve(t, newManager(t, cfg), app()))
	b.expect("/set?k=b&v=1", "ok")
	b.expect("/set?k=a&v=1", "ok")
	b.expect("/keys", "a,b")
	b.expect("/del?k=a", "ok")
	b.expect("/keys", "b")
	b.expect("/get?k=a", "false:")
	b.expect("/set?k=%00x&v=1", "error: vishnu: invalid session key: \"\\x00x\"")
	b.expect("/set?k=&v=1", "error: vishnu: invalid session key: \"\"")
}
