// Package faultload drives a bounded load through a real application while
// a store's server is killed and started again, and checks what a visitor
// must see through such an outage: the configured error response while the
// server is down, never a logout, the session back once the server is, no
// panic and no goroutine left behind. Each store's fault test says only how
// to connect to its server, kill it and start it again. It is test support
// for the modules of this repository; Go's internal rule keeps it out of
// users' reach.
package faultload

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
)

// errorBody is the body of the application's error response.
const errorBody = "session store unavailable"

// Config describes a store's outage and what the application may take to
// ride it out.
type Config struct {
	// Backend names the store's server in failure messages: "PostgreSQL".
	Backend string
	// ErrorPrefix starts every error message of the store ("pgstore:"):
	// each error the error response is sent for must carry it, and none may
	// be vishnu.ErrNotFound.
	ErrorPrefix string
	// Connect makes the store on the running server and returns what
	// closes its client. Run calls it after counting goroutines, so closing
	// must leave none of the store's behind.
	Connect func(t testing.TB) (vishnu.Store, func() error)
	// Kill takes the server away under the application.
	Kill func()
	// Restart starts the server again on the same address.
	Restart func(t testing.TB)
	// Durable says the server keeps its data through a kill: the visitor's
	// session carries on where it was after the restart. Otherwise the
	// server comes back empty and the visitor starts a new session.
	Durable bool
	// Up, Down and After are the visitor's requests before the kill, while
	// the server is down, and after the first page that follows the
	// restart.
	Up, Down, After int
	// Recovery is how long after Restart requests may still fail.
	Recovery time.Duration
	// RequestDeadline, if not zero, bounds the context of each request, as
	// an application's own deadline would.
	RequestDeadline time.Duration
	// ErrorWithin, if not zero, is the most an error response may take.
	ErrorWithin time.Duration
	// ClientTimeout bounds each request of the visitors' HTTP clients.
	ClientTimeout time.Duration
	// OtherRequests bounds the requests of each of the other visitors, who
	// keep requests in flight through the outage, and OtherPause is how
	// long each waits between two of them.
	OtherRequests int
	OtherPause    time.Duration
}

// otherVisitors is how many visitors keep requests in flight beside the one
// whose session is followed.
const otherVisitors = 4

// Run serves an application (core's net/http middleware, AutoSave on, a 503
// error response) that counts each visitor's requests in the session, and
// kills and restarts the server in the middle of one visitor's requests
// while others keep theirs in flight. It fails t unless:
//
//   - while the server is down, every request gets the configured 503 (within
//     ErrorWithin), none a half-written page, and the visitor's cookie is
//     neither cleared nor replaced;
//   - once it is back, requests succeed again within Recovery without
//     restarting anything, and the session holds every request the store
//     kept (or, if the server is not Durable, starts again);
//   - the other visitors see both pages and error responses, and nothing
//     else;
//   - every error response is for the store's failure, never "no session";
//   - no goroutine is left behind once the server and the client are closed.
func Run(t testing.TB, c Config) {
	goroutinesBefore := runtime.NumGoroutine()
	store, closeStore := c.Connect(t)
	a := start(t, c, store)

	var stop atomic.Bool
	var others sync.WaitGroup
	var otherOK, otherDown atomic.Int32
	stopOthers := func() { stop.Store(true); others.Wait() }
	defer stopOthers() // a failed visit must not leave them running
	for range otherVisitors {
		others.Go(func() {
			hc := a.newBrowser()
			defer hc.CloseIdleConnections()
			for i := 0; i < c.OtherRequests && !stop.Load(); i++ {
				r, err := a.get(hc)
				switch {
				case err != nil:
					t.Errorf("request of another visitor failed: %v", err)
					return
				case r.code == http.StatusOK:
					otherOK.Add(1)
				case r.isError():
					otherDown.Add(1)
					a.checkTime("another visitor's", r)
				default:
					t.Errorf("another visitor got %d %q, want 200 or the error response", r.code, r.body)
					return
				}
				time.Sleep(c.OtherPause)
			}
		})
	}

	a.visit()

	stopOthers()
	t.Logf("other visitors: %d pages, %d error responses", otherOK.Load(), otherDown.Load())
	if otherOK.Load() == 0 || otherDown.Load() == 0 {
		t.Errorf("the other visitors did not see both %s up and down", c.Backend)
	}
	a.checkErrors()

	a.ts.Close()
	if err := closeStore(); err != nil {
		t.Errorf("closing the client: %v", err)
	}
	var now int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if now = runtime.NumGoroutine(); now <= goroutinesBefore {
			return
		}
	}
	buf := make([]byte, 1<<20)
	t.Errorf("%d goroutines before, %d after: leaked\n%s", goroutinesBefore, now, buf[:runtime.Stack(buf, true)])
}

// app is the application under load.
type app struct {
	t         testing.TB
	c         Config
	ts        *httptest.Server
	storeErrs sync.Map // error text -> the error, as the error response saw them
}

func start(t testing.TB, c Config, store vishnu.Store) *app {
	a := &app{t: t, c: c}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	m, err := vishnu.New(vishnu.Config{
		Store:    store,
		Secret:   secret,
		AutoSave: true,
		Cookie:   vishnu.CookieConfig{Insecure: true},
		Logger:   slog.New(slog.DiscardHandler),
		ErrorResponse: func(_ context.Context, err error) vishnu.ErrorResponse {
			a.storeErrs.Store(err.Error(), err)
			return vishnu.ErrorResponse{Status: http.StatusServiceUnavailable, Body: []byte(errorBody)}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The application counts the visitor's requests in the session.
	var h http.Handler = m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		n, _ := vishnu.Get[int](s, "n")
		if err := s.Set("n", n+1); err != nil {
			return // the store is down: the middleware answers
		}
		fmt.Fprint(w, n+1)
	}))
	if d := c.RequestDeadline; d != 0 {
		next := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), d)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
	a.ts = httptest.NewServer(h)
	return a
}

// visit sends one visitor's requests, in order: up, down, up again.
func (a *app) visit() {
	t, c := a.t, a.c
	hc := a.newBrowser()
	defer hc.CloseIdleConnections()
	count := 0 // the visitor's requests that the store kept
	page := func(phase string, i int) {
		t.Helper()
		r, err := a.get(hc)
		if err != nil {
			t.Fatalf("request %d, %s: %v", i, phase, err)
		}
		if count++; r.code != http.StatusOK || r.body != strconv.Itoa(count) {
			t.Fatalf("request %d, %s: %d %q, want 200 %q", i, phase, r.code, r.body, strconv.Itoa(count))
		}
	}

	up := c.Backend + " up"
	for i := range c.Up {
		page(up, i)
	}
	cookie := a.cookie(hc)

	c.Kill()
	down := c.Backend + " down"
	for i := range c.Down {
		r, err := a.get(hc)
		if err != nil {
			t.Fatalf("request %d, %s: %v", i, down, err)
		}
		if !r.isError() {
			t.Fatalf("request %d, %s: %d %q, want the configured 503", i, down, r.code, r.body)
		}
		a.checkTime(fmt.Sprintf("request %d, %s:", i, down), r)
		if got := a.cookie(hc); got != cookie {
			t.Fatalf("request %d, %s: the session cookie changed from %q to %q: the visitor was logged out", i, down, cookie, got)
		}
	}

	c.Restart(t)
	restarted := time.Now()
	if !c.Durable {
		count = 0 // the server came back empty: a new session
	}
	for {
		// Connections the client held across the kill may fail once each.
		r, err := a.get(hc)
		if err == nil && r.code == http.StatusOK {
			if count++; r.body != strconv.Itoa(count) {
				t.Fatalf("first page after the restart: %q, want %q", r.body, strconv.Itoa(count))
			}
			t.Logf("requests succeed again %v after the restart", time.Since(restarted).Round(time.Millisecond))
			break
		}
		if err == nil && !r.isError() {
			t.Fatalf("after the restart: %d %q, want 200 or the error response", r.code, r.body)
		}
		if time.Since(restarted) > c.Recovery {
			t.Fatalf("requests still fail %v after %s came back: %v %+v", time.Since(restarted).Round(time.Millisecond), c.Backend, err, r)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i := range c.After {
		page("after the restart", i)
	}
}

// checkErrors checks that what the error response was sent for was the
// store's failure, never "no session".
func (a *app) checkErrors() {
	t := a.t
	n := 0
	a.storeErrs.Range(func(_, v any) bool {
		err := v.(error)
		if n++; n <= 3 {
			t.Logf("error response for: %v", err)
		}
		if errors.Is(err, vishnu.ErrNotFound) || !strings.Contains(err.Error(), a.c.ErrorPrefix) {
			t.Errorf("error response for %v, want a %s failure", err, a.c.Backend)
		}
		return true
	})
	if n == 0 {
		t.Error("the error response was never sent")
	}
}

// result is what a visitor got for a request.
type result struct {
	code int
	body string
	took time.Duration
}

func (r result) isError() bool {
	return r.code == http.StatusServiceUnavailable && r.body == errorBody
}

// checkTime fails the test if the error response r took longer than the
// configuration allows.
func (a *app) checkTime(what string, r result) {
	if a.c.ErrorWithin != 0 && r.took > a.c.ErrorWithin {
		a.t.Errorf("%s error response took %v, more than the %v allowed", what, r.took, a.c.ErrorWithin)
	}
}

func (a *app) get(hc *http.Client) (result, error) {
	start := time.Now()
	resp, err := hc.Get(a.ts.URL)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return result{resp.StatusCode, strings.TrimSpace(string(body)), time.Since(start)}, err
}

// newBrowser returns a client with its own cookie jar.
func (a *app) newBrowser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: a.c.ClientTimeout}
}

// cookie returns the value of the session cookie hc holds.
func (a *app) cookie(hc *http.Client) string {
	u, _ := http.NewRequest(http.MethodGet, a.ts.URL, nil)
	for _, c := range hc.Jar.Cookies(u.URL) {
		if c.Name == "vishnu" {
			return c.Value
		}
	}
	return ""
}
