package pgstore_test

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

	"github.com/vishnu-go/vishnu/conformance"
	vishnu "github.com/vishnu-go/vishnu/core"
	"github.com/vishnu-go/vishnu/internal/testserver"
	pgstore "github.com/vishnu-go/vishnu/stores/postgres"
)

// TestServerKilled kills the test's own PostgreSQL (SIGKILL to the server
// and its backends) under a running application (core's net/http
// middleware, AutoSave on, a 503 error response, a deadline of a second on
// each request) in the middle of a run of requests, and starts it again on
// the same port and data:
//
//   - while it is down, every request gets the configured 503 within its
//     deadline (and some slack for a shared machine), none a half-written
//     page, and the visitor's cookie is neither cleared nor replaced;
//   - once it is back, requests succeed again without restarting
//     anything, and the visitor's session carries on where it was: what
//     was committed before the kill is there;
//   - nothing panics, and no goroutine is left behind once the pool is
//     closed.
func TestServerKilled(t *testing.T) {
	pg, err := testserver.StartPostgres(t)
	if errors.Is(err, testserver.ErrNotInstalled) {
		conformance.Unavailable(t, "PostgreSQL for the fault test: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	goroutinesBefore := runtime.NumGoroutine()

	const deadline = time.Second
	const slack = 2 * time.Second
	pool := newPool(t, pg.URL())
	// The server is the test's own, removed with its data when it ends.
	store, err := pgstore.New(pool)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
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
			return vishnu.ErrorResponse{Status: http.StatusServiceUnavailable, Body: []byte("session store unavailable")}
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
	withDeadline := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), deadline)
			defer cancel()
			h.ServeHTTP(w, r.WithContext(ctx))
		})
	}
	ts := httptest.NewServer(withDeadline(m.Handler(app)))

	get := func(hc *http.Client) (int, string, time.Duration, error) {
		start := time.Now()
		resp, err := hc.Get(ts.URL)
		if err != nil {
			return 0, "", 0, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(body)), time.Since(start), err
	}
	newBrowser := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		return &http.Client{Jar: jar, Timeout: 10 * time.Second}
	}

	// Other visitors keep requests in flight while the server goes away and
	// comes back: each gets its page or the error response, nothing else.
	var stop atomic.Bool
	var others sync.WaitGroup
	var otherOK, otherDown atomic.Int32
	for range 4 {
		others.Go(func() {
			hc := newBrowser()
			defer hc.CloseIdleConnections()
			for i := 0; i < 2000 && !stop.Load(); i++ {
				switch code, body, took, err := get(hc); {
				case err != nil:
					t.Errorf("request of another visitor failed: %v", err)
					return
				case code == http.StatusOK:
					otherOK.Add(1)
				case code == http.StatusServiceUnavailable && body == "session store unavailable":
					otherDown.Add(1)
					if took > deadline+slack {
						t.Errorf("another visitor's error response took %v, past the deadline of %v", took, deadline)
					}
				default:
					t.Errorf("another visitor got %d %q, want 200 or the error response", code, body)
					return
				}
			}
		})
	}

	// One visitor's requests, in order: up, down, up again.
	const total, downAt, upAt = 150, 50, 100
	hc := newBrowser()
	var cookie string
	count := 0 // the visitor's requests that the store kept
	for i := range total {
		switch i {
		case downAt:
			pg.Kill()
		case upAt:
			if err := pg.Start(); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			for attempt := 0; ; attempt++ {
				// Connections the pool held across the kill fail once each.
				if code, body, _, err := get(hc); err == nil && code == http.StatusOK {
					count++
					if body != strconv.Itoa(count) {
						t.Fatalf("first page after the restart: %q, want %q (the session kept across the outage)", body, strconv.Itoa(count))
					}
					t.Logf("requests succeed again %v after the restart", time.Since(start).Round(time.Millisecond))
					break
				}
				if attempt == 50 {
					t.Fatalf("requests still fail %v after PostgreSQL came back", time.Since(start).Round(time.Millisecond))
				}
				time.Sleep(50 * time.Millisecond)
			}
			continue
		}
		code, body, took, err := get(hc)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if i >= downAt && i < upAt {
			if code != http.StatusServiceUnavailable || body != "session store unavailable" {
				t.Fatalf("request %d, PostgreSQL down: %d %q, want the configured 503", i, code, body)
			}
			if took > deadline+slack {
				t.Errorf("request %d, PostgreSQL down: the error response took %v, past the deadline of %v", i, took, deadline)
			}
			// Not logged out: the cookie is neither cleared nor replaced.
			if got := cookieValue(hc, ts.URL); got != cookie {
				t.Fatalf("request %d, PostgreSQL down: the session cookie changed from %q to %q", i, cookie, got)
			}
			continue
		}
		count++
		if code != http.StatusOK || body != strconv.Itoa(count) {
			t.Fatalf("request %d, PostgreSQL up: %d %q, want 200 %q (the session kept across the outage)", i, code, body, strconv.Itoa(count))
		}
		cookie = cookieValue(hc, ts.URL)
	}
	stop.Store(true)
	others.Wait()
	hc.CloseIdleConnections()
	t.Logf("other visitors: %d pages, %d error responses", otherOK.Load(), otherDown.Load())
	if otherOK.Load() == 0 {
		t.Error("other visitors never got a page")
	}

	// What the middleware reported was PostgreSQL's failure, never "no
	// session".
	n := 0
	storeErrs.Range(func(_, v any) bool {
		err := v.(error)
		if n++; n <= 3 {
			t.Logf("error response for: %v", err)
		}
		if errors.Is(err, vishnu.ErrNotFound) || !strings.Contains(err.Error(), "pgstore:") {
			t.Errorf("error response for %v, want a PostgreSQL failure", err)
		}
		return true
	})
	if n == 0 {
		t.Error("the error handler never ran")
	}

	ts.Close()
	pool.Close()
	var now int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
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
