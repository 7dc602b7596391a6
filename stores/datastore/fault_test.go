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
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
	"github.com/vishnu-go/vishnu/internal/faultload"
	datastorestore "github.com/vishnu-go/vishnu/stores/datastore"
)

// TestEmulatorKilled kills the Datastore emulator under a running
// application in the middle of a run of requests, and starts it again on
// the same port (faultload.Run says what is checked): error responses come
// within the store's timeout, plus the server's own work.
//
// The emulator keeps its data in memory, so a killed one comes back empty
// and the visitor starts a new session; the Datastore itself keeps its
// data through an outage (TestNetworkCut).
func TestEmulatorKilled(t *testing.T) {
	emu := startEmulator(t)
	const timeout = time.Second
	// A request may take the store's timeout for its Load and again for
	// its Commit, and the machine is shared: this much more is allowed.
	const slack = 2 * time.Second
	faultload.Run(t, faultload.Config{
		Backend:     "the emulator",
		ErrorPrefix: "datastorestore:",
		Connect: func(t testing.TB) (vishnu.Store, func() error) {
			client := dialEmulator(t, emu.Addr, "", nil)
			store, err := datastorestore.New(client, datastorestore.WithTimeout(timeout))
			if err != nil {
				t.Fatal(err)
			}
			// A JVM just started can take longer than the timeout over its
			// first requests; the load is about the store, not the
			// emulator's warm-up.
			warm, err := datastorestore.New(client, datastorestore.WithTimeout(30*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if _, err := warm.Load(context.Background(), "warm-up"); !errors.Is(err, vishnu.ErrNotFound) {
					t.Fatalf("warming the emulator up: %v", err)
				}
			}
			// The emulator requires composite indexes (startEmulator):
			// Cleanup's query must do with the built-in ones, as on a fresh
			// database. The warm-up's timeout: the JVM may still be slow.
			ctx := context.Background()
			if err := warm.Save(ctx, "dormant", []byte("x"), time.Now().Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			if finished, err := warm.Cleanup(ctx, 0, 10); err != nil || !finished {
				t.Errorf("Cleanup on an emulator that requires composite indexes: %v, %v", finished, err)
			}
			return store, client.Close
		},
		Kill:    emu.Kill,
		Restart: emu.Restart,
		Up:      20, Down: 5, After: 4,
		Recovery:      30 * time.Second,
		ErrorWithin:   timeout + slack,
		ClientTimeout: 30 * time.Second,
		OtherRequests: 5000,
		OtherPause:    5 * time.Millisecond,
	})
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
