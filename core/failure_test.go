package vishnu_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

func TestStoreDownGivesTheErrorResponseNotALogout(t *testing.T) {
	cfg, st := testConfig(newClock())
	var seen error
	cfg.ErrorResponse = func(_ context.Context, err error) vishnu.ErrorResponse {
		seen = err
		return vishnu.ErrorResponse{Status: http.StatusServiceUnavailable, Body: []byte("sessions unavailable")}
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Handler", "partial")
		v, ok := vishnu.Get[string](vishnu.FromContext(r.Context()), "user")
		fmt.Fprintf(w, "%v:%s", ok, v)
	})
	m := newManager(t, cfg)
	mux := http.NewServeMux()
	mux.Handle("/", app())
	mux.Handle("/whoami", h)
	b := newBrowser(t, serve(t, m, mux))
	b.expect("/set?k=user&v=ann", "ok")

	st.down.Store(true)
	resp, err := b.c.Get(b.base + "/whoami")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want the error handler's 503", resp.StatusCode)
	}
	if resp.Header.Get("X-Handler") != "" || len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("the handler's headers leaked into the error response: %v", resp.Header)
	}
	if !errors.Is(seen, errDown) {
		t.Fatalf("the error handler got %v, want the store's error", seen)
	}
	// A failing write is the error response too.
	st.down.Store(false)
	b.expect("/whoami", "true:ann")
	b.expect("/get?k=user", "true:ann") // load before the store goes down
	st.down.Store(true)
	resp, _ = b.c.Get(b.base + "/set?k=user&v=bob")
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("failing commit: status %d", resp.StatusCode)
	}
	st.down.Store(false)
	b.expect("/get?k=user", "true:ann") // nobody was logged out
}

func TestDefaultErrorResponse(t *testing.T) {
	cfg, st := testConfig(newClock())
	b := newBrowser(t, serve(t, newManager(t, cfg), app()))
	b.expect("/set?k=a&v=1", "ok")
	st.down.Store(true)
	resp, err := b.c.Get(b.base + "/get?k=a")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("default error response: status %d, want 500", resp.StatusCode)
	}
}

func TestLoadLetsAHandlerSeeTheStoreError(t *testing.T) {
	cfg, st := testConfig(newClock())
	m := newManager(t, cfg)
	mux := http.NewServeMux()
	mux.Handle("/", app())
	seen := make(chan [2]error, 1)
	mux.HandleFunc("/load", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		seen <- [2]error{s.Load(), s.Set("a", "2")}
		w.Write([]byte("handler"))
	})
	b := newBrowser(t, serve(t, m, mux))
	b.expect("/set?k=a&v=1", "ok")
	st.down.Store(true)
	resp, err := b.c.Get(b.base + "/load")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d, want the error response", resp.StatusCode)
	}
	errs := <-seen
	if !errors.Is(errs[0], errDown) {
		t.Errorf("Load with the store down: %v, want the store's error", errs[0])
	}
	if !errors.Is(errs[1], errDown) {
		t.Errorf("Set on an unloadable session: %v, want the store's error", errs[1])
	}
	st.down.Store(false)
	b.expect("/get?k=a", "true:1") // the failed Set changed nothing
}

func TestChangesAfterTheHeaders(t *testing.T) {
	cfg, st := testConfig(newClock())
	cfg.AutoSave = false
	m := newManager(t, cfg)
	results := make(chan error, 4)
	mux := http.NewServeMux()
	mux.Handle("/", app())
	mux.HandleFunc("/late", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		w.Write([]byte("headers sent"))
		s.Set("late", "yes")
		results <- s.Save()
		results <- s.Regenerate()
		results <- s.SetTimeout(3600e9)
		results <- s.Save()
	})
	b := newBrowser(t, serve(t, m, mux))

	// A new session needs a cookie that can no longer be sent.
	b.expect("/late", "headers sent")
	if err := <-results; !errors.Is(err, vishnu.ErrHeadersWritten) {
		t.Fatalf("Save of a new session after the headers: %v, want ErrHeadersWritten", err)
	}
	if err := <-results; !errors.Is(err, vishnu.ErrHeadersWritten) {
		t.Fatalf("Regenerate after the headers: %v, want ErrHeadersWritten", err)
	}
	<-results
	<-results
	if n := st.saves.Load(); n != 0 {
		t.Fatalf("an undeliverable session was written %d times", n)
	}

	// An existing session's data can still be saved: its cookie stays.
	b.expect("/save?k=a&v=1", "ok")
	before := b.cookie("vishnu")
	b.expect("/late", "headers sent")
	for range 4 {
		if err := <-results; err != nil && !errors.Is(err, vishnu.ErrHeadersWritten) {
			t.Fatal(err)
		}
	}
	if b.cookie("vishnu") != before {
		t.Fatal("the cookie changed after the headers were sent")
	}
	// The timeout set late (1h, shorter than the browser-session default)
	// reaches the cookie on the next request that uses the session.
	set := b.expect("/get?k=late", "true:yes")
	if len(set) != 1 || !strings.Contains(set[0], "Max-Age=3600") {
		t.Fatalf("the next request must send the shortened cookie, got %q", set)
	}
}

func TestCookieStoreLimit(t *testing.T) {
	cfg, _ := testConfig(newClock())
	one, err := vishnu.NewCookieStoreWithOptions(vishnu.CookieStoreOptions{MaxCookies: 1})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store = one
	cfg.EncryptKey = []byte("an encryption key of 32 bytes!!!")
	cfg.AutoSave = false
	b := newBrowser(t, serve(t, newManager(t, cfg), app()))
	b.expect("/save?k=a&v="+strings.Repeat("x", 2000), "ok")
	got, set := b.get("/save?k=b&v=" + strings.Repeat("y", 2500))
	if !strings.Contains(got, vishnu.ErrCookieTooLarge.Error()) || len(set) != 0 {
		t.Fatalf("Save past 4096 bytes: %q %q, want ErrCookieTooLarge and no cookie", got, set)
	}
	// The session is what it was.
	b.expect("/keys", "a")

	cfg.AutoSave = true
	b = newBrowser(t, serve(t, newManager(t, cfg), app()))
	resp, err := b.c.Get(b.base + "/set?k=a&v=" + strings.Repeat("x", 5000))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("auto-save past 4096 bytes: status %d, cookies %q", resp.StatusCode, resp.Header.Values("Set-Cookie"))
	}
}

func TestNoSessionOutsideTheMiddleware(t *testing.T) {
	r, _ := http.NewRequest("GET", "/", nil)
	s := vishnu.FromContext(r.Context())
	if s != nil {
		t.Fatal("FromContext outside the middleware must be nil")
	}
	if _, ok := vishnu.Get[string](s, "a"); ok || s.Has("a") || s.Keys() != nil || !s.IsNew() {
		t.Fatal("a nil session must read as empty")
	}
	for _, err := range []error{s.Set("a", 1), s.Save(), s.Regenerate(), s.Destroy(), s.Load(), s.SetTimeout(0)} {
		if !errors.Is(err, vishnu.ErrNoSession) {
			t.Fatalf("got %v, want ErrNoSession", err)
		}
	}
	s.Delete("a")
	s.Clear()
}
