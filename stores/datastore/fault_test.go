package datastorestore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
	datastorestore "github.com/vishnu-go/vishnu/stores/datastore"
)

// TestEmulatorKilled kills the Datastore emulator under a running
// application (core's net/http middleware, AutoSave on, a 503 error
// response) in the middle of a run of requests, and starts it again on the
// same port:
//
//   - while it is down, every request gets the configured 503 within the
//     store's timeout (plus the server's own work), none a half-written
//     page, and the visitor's cookie is neither cleared nor replaced;
//   - once it is back, requests succeed again without restarting anything;
//   - nothing panics, and no goroutine is left behind.
//
// The emulator keeps its data in memory, so a killed one comes back empty
// and the visitor starts a new session; the Datastore itself keeps its
// data through an outage.
func TestEmulatorKilled(t *testing.T) {
	emu := startEmulator(t)
	goroutinesBefore := runtime.NumGoroutine()

	const timeout = time.Second
	// A request may take the store's timeout for its Load and again for
	// its Commit, and the machine is shared: this much more is allowed.
	const slack = 2 * time.Second
	client := dialEmulator(t, emu.Addr, "", nil)
	store, err := datastorestore.New(client, datastorestore.WithTimeout(timeout))
	if err != nil {
		t.Fatal(err)
	}
	// A JVM just started can take longer than the timeout over its first
	// requests; the up phase is about the store, not the emulator's warm-up.
	warm, err := datastorestore.New(client, datastorestore.WithTimeout(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := warm.Load(context.Background(), "warm-up"); !errors.Is(err, vishnu.ErrNotFound) {
			t.Fatalf("warming the emulator up: %v", err)
		}
	}
	var storeErrs sync.Map // error text -> the error, as the error response saw them
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	m, err := vishnu.New(vishnu.Config{
		Store:    store,
		Secret:   secret,
		AutoSave: true,
		Cookie:   vishnu.CookieConfig{Insecure: true},
		Logger:   slog.New(slog.DiscardHandler),
		ErrorResponse: func(_ context.Context, err error) vishnu.ErrorResponse {
			storeErrs.Store(err.Error(), err)
			return vishnu.ErrorResponse{Status: http.StatusServiceUnavailable, Body: []byte("session store unavailable\n")}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The application counts the visitor's requests in the session.
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		n, _ := vishnu.Get[int](s, "n")
		if err := s.Set("n", n+1); err != nil {
			return // the store is down: the middleware answers
		}
		fmt.Fprint(w, n+1)
	})
	ts := httptest.NewServer(m.Handler(app))

	type result struct {
		code int
		body string
		took time.Duration
	}
	get := func(hc *http.Client) (result, error) {
		start := time.Now()
		resp, err := hc.Get(ts.URL)
		if err != nil {
			return result{}, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return result{resp.StatusCode, strings.TrimSpace(string(body)), time.Since(start)}, err
	}
	newBrowser := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		return &http.Client{Jar: jar, Timeout: 30 * time.Second}
	}

	// Other visitors keep requests in flight while the emulator goes away
	// and comes back: each gets its page or the error response in time.
	var stop atomic.Bool
	var others sync.WaitGroup
	var otherOK, otherDown atomic.Int32
	for range 4 {
		others.Go(func() {
			hc := newBrowser()
			defer hc.CloseIdleConnections()
			for i := 0; i < 5000 && !stop.Load(); i++ {
				r, err := get(hc)
				switch {
				case err != nil:
					t.Errorf("request of another visitor failed: %v", err)
					return
				case r.code == http.StatusOK:
					otherOK.Add(1)
				case r.code == http.StatusServiceUnavailable && r.body == "session store unavailable":
					otherDown.Add(1)
					if r.took > timeout+slack {
						t.Errorf("another visitor's error response took %v, with a store timeout of %v", r.took, timeout)
					}
				default:
					t.Errorf("another visitor got %d %q, want 200 or the error response", r.code, r.body)
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}

	// One visitor's requests, in order: up, down, up again.
	hc := newBrowser()
	count := 0
	for i := range 20 {
		r, err := get(hc)
		if err != nil {
			t.Fatal(err)
		}
		if count++; r.code != http.StatusOK || r.body != strconv.Itoa(count) {
			t.Fatalf("request %d, emulator up: %d %q, want 200 %q", i, r.code, r.body, strconv.Itoa(count))
		}
	}
	cookie := cookieValue(hc, ts.URL)

	emu.Kill()
	for i := range 5 {
		r, err := get(hc)
		if err != nil {
			t.Fatalf("request %d, emulator down: %v", i, err)
		}
		if r.code != http.StatusServiceUnavailable || r.body != "session store unavailable" {
			t.Fatalf("request %d, emulator down: %d %q, want the configured 503", i, r.code, r.body)
		}
		if r.took > timeout+slack {
			t.Errorf("request %d, emulator down: the error response took %v, with a store timeout of %v", i, r.took, timeout)
		}
		if got := cookieValue(hc, ts.URL); got != cookie {
			t.Fatalf("request %d, emulator down: the session cookie changed from %q to %q: the visitor was logged out", i, cookie, got)
		}
		t.Logf("emulator down: request %d answered %d in %v", i, r.code, r.took.Round(time.Millisecond))
	}

	emu.Restart(t)
	restarted := time.Now()
	for attempt := 0; ; attempt++ {
		r, err := get(hc)
		if err == nil && r.code == http.StatusOK {
			// The emulator came back empty: a new session.
			if r.body != "1" {
				t.Errorf("first page after the restart: %q, want a new session's 1", r.body)
			}
			t.Logf("requests succeed again %v after the emulator is back", time.Since(restarted).Round(time.Millisecond))
			break
		}
		if err == nil && r.code != http.StatusServiceUnavailable {
			t.Fatalf("after the restart: %d %q, want 200 or the error response", r.code, r.body)
		}
		if time.Since(restarted) > 30*time.Second {
			t.Fatalf("requests still fail %v after the emulator came back: %v %+v", time.Since(restarted).Round(time.Millisecond), err, r)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for i := 2; i <= 5; i++ {
		if r, err := get(hc); err != nil || r.code != http.StatusOK || r.body != strconv.Itoa(i) {
			t.Fatalf("request %d after the restart: %+v %v, want 200 %d", i, r, err, i)
		}
	}

	// The emulator requires composite indexes (startEmulator): Cleanup's
	// query must do with the built-in ones, as on a fresh database.
	ctx := context.Background()
	if err := store.Save(ctx, "dormant", []byte("x"), time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if finished, err := store.Cleanup(ctx, 0, 10); err != nil || !finished {
		t.Errorf("Cleanup on an emulator that requires composite indexes: %v, %v", finished, err)
	}

	stop.Store(true)
	others.Wait()
	hc.CloseIdleConnections()
	t.Logf("other visitors: %d pages, %d error responses", otherOK.Load(), otherDown.Load())
	if otherOK.Load() == 0 || otherDown.Load() == 0 {
		t.Error("the other visitors did not see both the emulator up and down")
	}

	// What the error response was for was the Datastore's failure, never
	// "no session".
	n := 0
	storeErrs.Range(func(_, v any) bool {
		err := v.(error)
		if n++; n <= 3 {
			t.Logf("error response for: %v", err)
		}
		if errors.Is(err, vishnu.ErrNotFound) || !strings.Contains(err.Error(), "datastorestore:") {
			t.Errorf("error response for %v, want a Datastore failure", err)
		}
		return true
	})
	if n == 0 {
		t.Error("the error response was never sent")
	}

	ts.Close()
	if err := client.Close(); err != nil {
		t.Errorf("closing the client: %v", err)
	}
	var now int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if now = runtime.NumGoroutine(); now <= goroutinesBefore {
			return
		}
	}
	buf := make([]byte, 1<<20)
	t.Errorf("%d goroutines before, %d after: leaked\n%s", goroutinesBefore, now, buf[:runtime.Stack(buf, true)])
}

func cookieValue(hc *http.Client, url string) string {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for _, c := range hc.Jar.Cookies(req.URL) {
		if c.Name == "vishnu" {
			return c.Value
		}
	}
	return ""
}

// TestNetworkCut cuts the network between the application and the shared
// emulator (a loopback proxy that drops every connection and refuses new
// ones) and restores it: while cut, requests get the configured 503 within
// the store's timeout and the cookie stays; once restored, the same session
// carries on where it was, as it does when the Datastore itself is
// unreachable for a while and keeps its data.
func TestNetworkCut(t *testing.T) {
	p := startProxy(t, emulatorAddr(t))
	const timeout = time.Second
	client := dialEmulator(t, p.addr, "", nil)
	store, _ := newStore(t, client, datastorestore.WithTimeout(timeout))
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	m, err := vishnu.New(vishnu.Config{
		Store:    store,
		Secret:   secret,
		AutoSave: true,
		Cookie:   vishnu.CookieConfig{Insecure: true},
		Logger:   slog.New(slog.DiscardHandler),
		ErrorResponse: func(context.Context, error) vishnu.ErrorResponse {
			return vishnu.ErrorResponse{Status: http.StatusServiceUnavailable, Body: []byte("session store unavailable\n")}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		n, _ := vishnu.Get[int](s, "n")
		if err := s.Set("n", n+1); err != nil {
			return
		}
		fmt.Fprint(w, n+1)
	})))
	defer ts.Close()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	defer hc.CloseIdleConnections()
	get := func() (int, string, time.Duration) {
		t.Helper()
		start := time.Now()
		resp, err := hc.Get(ts.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(body)), time.Since(start)
	}

	for i := 1; i <= 5; i++ {
		if code, body, _ := get(); code != http.StatusOK || body != strconv.Itoa(i) {
			t.Fatalf("request %d before the cut: %d %q", i, code, body)
		}
	}
	cookie := cookieValue(hc, ts.URL)
	p.cut()
	for i := range 3 {
		code, body, took := get()
		if code != http.StatusServiceUnavailable || body != "session store unavailable" {
			t.Fatalf("request %d, network cut: %d %q, want the configured 503", i, code, body)
		}
		if took > timeout+2*time.Second {
			t.Errorf("request %d, network cut: the error response took %v, with a store timeout of %v", i, took, timeout)
		}
		if got := cookieValue(hc, ts.URL); got != cookie {
			t.Fatalf("request %d, network cut: the session cookie changed: the visitor was logged out", i)
		}
	}
	p.restore()
	restored := time.Now()
	for {
		code, body, _ := get()
		if code == http.StatusOK {
			if body != "6" {
				t.Fatalf("first page after the network is back: %q, want 6 (the same session, carried on)", body)
			}
			t.Logf("the session carries on %v after the network is back", time.Since(restored).Round(time.Millisecond))
			break
		}
		if time.Since(restored) > 30*time.Second {
			t.Fatalf("requests still fail %v after the network is back: %d %q", time.Since(restored).Round(time.Millisecond), code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// proxy forwards loopback connections to target until it is cut.
type proxy struct {
	t      testing.TB
	target string
	addr   string

	mu    sync.Mutex
	l     net.Listener
	conns []net.Conn
	wg    sync.WaitGroup
}

func startProxy(t testing.TB, target string) *proxy {
	t.Helper()
	p := &proxy{t: t, target: target, addr: freeAddr(t)}
	p.restore()
	t.Cleanup(p.cut)
	return p
}

// restore listens again on the proxy's address and forwards what comes.
func (p *proxy) restore() {
	p.t.Helper()
	l, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy: listen on %s again: %v", p.addr, err)
	}
	p.mu.Lock()
	p.l = l
	p.mu.Unlock()
	p.wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			if p.l != l { // cut while this connection was being set up
				p.mu.Unlock()
				c.Close()
				up.Close()
				return
			}
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			p.wg.Go(func() { _, _ = io.Copy(up, c); up.Close() })
			p.wg.Go(func() { _, _ = io.Copy(c, up); c.Close() })
		}
	})
}

// cut closes the listener and every connection, and waits for the
// forwarding goroutines to end. Cutting a cut proxy does nothing.
func (p *proxy) cut() {
	p.mu.Lock()
	if p.l != nil {
		p.l.Close()
		p.l = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}
