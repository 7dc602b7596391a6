package vishnuchi_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

var testSecret = []byte("chi-adapter-test-secret-0123456789")[:32]

// store is core's memory store as a networked store behaves: a call made
// once the request's context is done fails with the context's error (as a
// Redis or memcached client's does), and the store can be taken down.
type store struct {
	*vishnu.MemoryStore
	down atomic.Bool
}

var errDown = errors.New("the store is down")

func newStore() *store { return &store{MemoryStore: vishnu.NewMemoryStore()} }

func (s *store) check(ctx context.Context) error {
	if s.down.Load() {
		return errDown
	}
	return ctx.Err()
}

func (s *store) Load(ctx context.Context, id string) ([]byte, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	return s.MemoryStore.Load(ctx, id)
}

func (s *store) Save(ctx context.Context, id string, data []byte, exp time.Time) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	return s.MemoryStore.Save(ctx, id, data, exp)
}

func (s *store) Delete(ctx context.Context, id string) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	return s.MemoryStore.Delete(ctx, id)
}

func (s *store) Commit(ctx context.Context, id string, c *vishnu.Change) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	return s.MemoryStore.Commit(ctx, id, c)
}

func (s *store) Touch(ctx context.Context, id string, exp time.Time) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	return s.MemoryStore.Touch(ctx, id, exp)
}

// The error response the tests configure.
const (
	errorStatus = http.StatusServiceUnavailable
	errorBody   = "sessions unavailable\n"
)

// logBuffer collects a manager's log, for the tests that read it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newManager returns a plain-HTTP manager with AutoSave on st (a new store
// when nil), logging to logs (nowhere when nil).
func newManager(t *testing.T, st vishnu.Store, name string, logs io.Writer) *vishnu.Manager {
	t.Helper()
	if st == nil {
		st = newStore()
	}
	if logs == nil {
		logs = io.Discard
	}
	m, err := vishnu.New(vishnu.Config{
		Store:    st,
		Secret:   testSecret,
		AutoSave: true,
		Cookie:   vishnu.CookieConfig{Name: name, Insecure: true},
		Logger:   slog.New(slog.NewTextHandler(logs, nil)),
		ErrorResponse: func(context.Context, error) vishnu.ErrorResponse {
			return vishnu.ErrorResponse{Status: errorStatus, Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte(errorBody)}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func newGuard(t *testing.T, m *vishnu.Manager, cfg vishnu.GuardConfig) *vishnu.Guard {
	t.Helper()
	g, err := vishnu.NewGuard(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// serve serves h on loopback until the test ends.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// browser is a real client with a cookie jar that does not follow
// redirects, so that each answer is seen as it was sent.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 100}
	t.Cleanup(tr.CloseIdleConnections)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, Transport: tr, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (b *browser) get(path string) reply {
	b.t.Helper()
	r, err := b.try(path)
	if err != nil {
		b.t.Fatal(err)
	}
	return r
}

// try is get for goroutines other than the test's.
func (b *browser) try(path string) (reply, error) {
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(body)}, err
}

// expect gets path and fails unless the answer has this status and body.
func (b *browser) expect(path string, status int, body string) reply {
	b.t.Helper()
	r := b.get(path)
	if r.status != status || r.body != body {
		b.t.Fatalf("GET %s: status %d, body %q; want %d, %q", path, r.status, r.body, status, body)
	}
	return r
}
