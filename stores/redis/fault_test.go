package redisstore_test

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

	"github.com/redis/go-redis/v9"
	vishnu "github.com/vishnu-go/vishnu/core"
	redisstore "github.com/vishnu-go/vishnu/stores/redis"
)

// TestServerFailure stops the Redis server under a running application and
// starts it again: while it is down, requests get the configured error
// response (and the visitor keeps the session cookie); once it is back,
// requests succeed again, with the session as it was, without restarting
// anything. Nothing panics and no goroutine is left behind.
func TestServerFailure(t *testing.T) {
	srv := startRedisServer(t) // persists every write, so a kill loses nothing
	goroutinesBefore := runtime.NumGoroutine()

	client := redis.NewClient(&redis.Options{
		Addr:        srv.Addr,
		DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond,
		DialerRetries: 1, MaxRetries: 1, MinRetryBackoff: 10 * time.Millisecond, MaxRetryBackoff: 20 * time.Millisecond,
	})
	store, err := redisstore.New(client, redisstore.WithPrefix(testPrefix()))
	if err != nil {
		t.Fatal(err)
	}
	var storeErrs sync.Map // error text -> the error, as the error handler saw them
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
	ts := httptest.NewServer(m.Handler(app))

	get := func(hc *http.Client) (int, string, error) {
		resp, err := hc.Get(ts.URL)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(body)), err
	}
	newBrowser := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		return &http.Client{Jar: jar, Timeout: 5 * time.Second}
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
				switch code, body, err := get(hc); {
				case err != nil:
					t.Errorf("request of another visitor failed: %v", err)
					return
				case code == http.StatusOK:
					otherOK.Add(1)
				case code == http.StatusServiceUnavailable && body == "session store unavailable":
					otherDown.Add(1)
				default:
					t.Errorf("another visitor got %d %q, want 200 or the error response", code, body)
					return
				}
			}
		})
	}

	// One visitor's requests, in order: up, down, up again.
	const total, downAt, upAt = 200, 60, 130
	hc := newBrowser()
	var cookie string
	count := 0 // the visitor's requests that the store kept
	for i := range total {
		switch i {
		case downAt:
			srv.Kill()
		case upAt:
			srv.Restart(t)
			// After PoolSize failed dials, go-redis stops dialling and probes
			// the server once a second instead: allow it that long to notice.
			start := time.Now()
			for attempt := 0; ; attempt++ {
				if code, body, err := get(hc); err == nil && code == http.StatusOK {
					count++
					if body != strconv.Itoa(count) {
						t.Fatalf("first page after the restart: %q, want %q (the session kept across the outage)", body, strconv.Itoa(count))
					}
					t.Logf("requests succeed again %v after the restart", time.Since(start).Round(time.Millisecond))
					break
				}
				if attempt == 50 {
					t.Fatalf("requests still fail %v after Redis came back", time.Since(start).Round(time.Millisecond))
				}
				time.Sleep(50 * time.Millisecond)
			}
			continue
		}
		code, body, err := get(hc)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if i >= downAt && i < upAt {
			if code != http.StatusServiceUnavailable || body != "session store unavailable" {
				t.Fatalf("request %d, Redis down: %d %q, want the configured 503", i, code, body)
			}
			// Not logged out: the cookie is neither cleared nor replaced.
			if got := cookieValue(hc, ts.URL); got != cookie {
				t.Fatalf("request %d, Redis down: the session cookie changed from %q to %q", i, cookie, got)
			}
			continue
		}
		count++
		if code != http.StatusOK || body != strconv.Itoa(count) {
			t.Fatalf("request %d, Redis up: %d %q, want 200 %q (the session kept across the outage)", i, code, body, strconv.Itoa(count))
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

	// What the middleware reported was Redis's failure, never "no session".
	n := 0
	storeErrs.Range(func(_, v any) bool {
		err := v.(error)
		if n++; n <= 3 {
			t.Logf("error response for: %v", err)
		}
		if errors.Is(err, vishnu.ErrNotFound) || !strings.Contains(err.Error(), "redisstore:") {
			t.Errorf("error response for %v, want a Redis failure", err)
		}
		return true
	})
	if n == 0 {
		t.Error("the error handler never ran")
	}

	ts.Close()
	if err := client.Close(); err != nil {
		t.Errorf("closing the client: %v", err)
	}
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
