package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// env is one adapter case: the rule it checks, its store, clock and
// application, and the servers it starts.
type env struct {
	t     *testing.T
	rule  string
	serve ServeFunc
	opts  AdapterOptions

	store       vishnu.Store // what the managers use
	counts      *counts      // nil for the cookie store, which cannot be counted
	cookieStore bool
	src         vishnu.TokenSource // where the case's tokens travel
	secret      []byte
	clock       clock
	app         app
	logs        syncBuffer
}

func newEnv(t *testing.T, rule string, src vishnu.TokenSource, serve ServeFunc, opts AdapterOptions) *env {
	e := &env{t: t, rule: rule, src: src, serve: serve, opts: opts, secret: randomBytes(vishnu.MinSecretLen)}
	// Registered first, so it runs last, once the servers have stopped.
	t.Cleanup(func() {
		if t.Failed() && e.logs.Len() > 0 {
			t.Logf("the managers' log:\n%s", e.logs.String())
		}
	})
	store := opts.NewStore(t)
	if store == nil {
		t.Fatal("conformance: AdapterOptions.NewStore returned nil")
	}
	e.cookieStore = isCookieStore(store)
	if e.cookieStore {
		e.store = store
	} else {
		e.store, e.counts = countStore(store)
	}
	return e
}

func isCookieStore(s vishnu.Store) bool {
	return reflect.TypeOf(s) == reflect.TypeOf(vishnu.NewCookieStore())
}

// Failure reporting: every message starts with the rule.

func (e *env) Errorf(format string, args ...any) {
	e.t.Helper()
	e.t.Errorf("rule broken: %s%s\n%s", e.rule, e.modeNote(), fmt.Sprintf(format, args...))
}

func (e *env) Fatalf(format string, args ...any) {
	e.t.Helper()
	e.t.Fatalf("rule broken: %s%s\n%s", e.rule, e.modeNote(), fmt.Sprintf(format, args...))
}

// modeNote says, in a header mode, what the rule's "cookie" stands for.
func (e *env) modeNote() string {
	switch e.src {
	case vishnu.TokenInHeader:
		return "\n(in header mode: the token travels in the " + vishnu.DefaultTokenHeader + " header, not a cookie)"
	case vishnu.TokenInBearer:
		return "\n(in bearer mode: the token travels as Authorization: Bearer, and is answered in " + vishnu.DefaultTokenHeader + ", not a cookie)"
	}
	return ""
}

// config returns the Config the cases start from.
func (e *env) config(store vishnu.Store) vishnu.Config {
	cfg := vishnu.Config{
		Store:         store,
		Secret:        e.secret,
		Cookie:        vishnu.CookieConfig{Insecure: true},
		Timeout:       time.Hour,
		ErrorResponse: errorResponse,
		Logger:        slog.New(slog.NewTextHandler(&e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Clock:         e.clock.Now,
	}
	if isCookieStore(store) {
		cfg.EncryptKey = randomBytes(vishnu.MinSecretLen)
	}
	return cfg
}

// start makes a Manager from the case's Config, changed by edit, and serves
// the case's application with it. It returns a browser of that server. In
// a header mode, a Config whose edit sets no Token.Sources reads tokens
// from the case's header alone, with no cookie attributes (only the cookie
// name counts: tokens are signed for it).
func (e *env) start(edit func(*vishnu.Config)) *browser {
	e.t.Helper()
	return e.startWith(e.store, edit)
}

func (e *env) startWith(store vishnu.Store, edit func(*vishnu.Config)) *browser {
	e.t.Helper()
	cfg := e.config(store)
	if edit != nil {
		edit(&cfg)
	}
	src := vishnu.TokenInCookie
	if e.src != vishnu.TokenInCookie && len(cfg.Token.Sources) == 0 {
		cfg.Cookie = vishnu.CookieConfig{Name: cfg.Cookie.Name}
		cfg.Token.Sources = []vishnu.TokenSource{e.src}
		src = e.src
	}
	m, err := vishnu.New(cfg)
	if err != nil {
		e.t.Fatalf("conformance: vishnu.New: %v", err)
	}
	base := e.serve(e.t, m, e.app.handle)
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" || u.Host == "" {
		e.t.Fatalf("conformance: the ServeFunc returned %q, not a base URL", base)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 100}
	e.t.Cleanup(tr.CloseIdleConnections)
	return e.newBrowser(strings.TrimSuffix(base, "/"), m.CookieName(), src, tr)
}

// The error response the suite configures (Config.ErrorResponse).
const (
	errorStatus = http.StatusServiceUnavailable
	errorHeader = "X-Conformance-Error"
	errorBody   = "conformance: the session is unavailable\n"
)

func errorResponse(context.Context, error) vishnu.ErrorResponse {
	return vishnu.ErrorResponse{
		Status: errorStatus,
		Header: http.Header{errorHeader: {"1"}, "Content-Type": {"text/plain"}},
		Body:   []byte(errorBody),
	}
}

// clock is the managers' clock: the real time, moved forward by the cases.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Cookies ----------------------------------------------------------------------

// setCookie is a Set-Cookie header line, parsed just enough to check its
// attributes as written.
type setCookie struct {
	raw   string
	name  string
	value string
	attrs map[string]string // by lower-case name; "" for a flag

	// header is set for a token answered in a response header: it has
	// no attributes, and an empty value drops the token.
	header bool
}

func parseSetCookie(line string) *setCookie {
	c := &setCookie{raw: line, attrs: map[string]string{}}
	parts := strings.Split(line, ";")
	c.name, c.value, _ = strings.Cut(strings.TrimSpace(parts[0]), "=")
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		c.attrs[strings.ToLower(k)] = v
	}
	return c
}

func (c *setCookie) has(attr string) bool {
	_, ok := c.attrs[strings.ToLower(attr)]
	return ok
}

func (c *setCookie) attr(name string) string { return c.attrs[strings.ToLower(name)] }

// maxAge returns the Max-Age attribute, and whether there is one.
func (c *setCookie) maxAge() (int, bool) {
	v, ok := c.attrs["max-age"]
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, false
	}
	return n, true
}

// expires returns the Expires attribute, and whether there is a valid one.
func (c *setCookie) expires() (time.Time, bool) {
	v, ok := c.attrs["expires"]
	if !ok {
		return time.Time{}, false
	}
	t, err := http.ParseTime(v)
	return t, err == nil
}

// deletes reports whether c tells the browser to drop the cookie.
func (c *setCookie) deletes(now time.Time) bool {
	if c.header {
		return c.value == ""
	}
	if n, ok := c.maxAge(); ok && n <= 0 {
		return true
	}
	if t, ok := c.expires(); ok && !t.After(now) {
		return true
	}
	return false
}

// Stores -----------------------------------------------------------------------

// counts counts the calls the managers make to a store.
type counts struct {
	loads  atomic.Int64
	writes atomic.Int64 // Save, Delete, Commit, Touch
}

func (c *counts) reset() { c.loads.Store(0); c.writes.Store(0) }

// countStore wraps s so that its calls are counted, keeping its optional
// capabilities (a manager looks for them).
func countStore(s vishnu.Store) (vishnu.Store, *counts) {
	n := &counts{}
	base := &countingStore{s: s, n: n}
	_, committer := s.(vishnu.Committer)
	_, toucher := s.(vishnu.Toucher)
	switch {
	case committer && toucher:
		return struct {
			*countingStore
			countingCommitter
			countingToucher
		}{base, countingCommitter{base}, countingToucher{base}}, n
	case committer:
		return struct {
			*countingStore
			countingCommitter
		}{base, countingCommitter{base}}, n
	case toucher:
		return struct {
			*countingStore
			countingToucher
		}{base, countingToucher{base}}, n
	}
	return base, n
}

type countingStore struct {
	s vishnu.Store
	n *counts
}

func (c *countingStore) Load(ctx context.Context, id string) ([]byte, error) {
	c.n.loads.Add(1)
	return c.s.Load(ctx, id)
}

func (c *countingStore) Save(ctx context.Context, id string, data []byte, expires time.Time) error {
	c.n.writes.Add(1)
	return c.s.Save(ctx, id, data, expires)
}

func (c *countingStore) Delete(ctx context.Context, id string) error {
	c.n.writes.Add(1)
	return c.s.Delete(ctx, id)
}

type countingCommitter struct{ c *countingStore }

func (c countingCommitter) Commit(ctx context.Context, id string, ch *vishnu.Change) error {
	c.c.n.writes.Add(1)
	return c.c.s.(vishnu.Committer).Commit(ctx, id, ch)
}

type countingToucher struct{ c *countingStore }

func (c countingToucher) Touch(ctx context.Context, id string, expires time.Time) error {
	c.c.n.writes.Add(1)
	return c.c.s.(vishnu.Toucher).Touch(ctx, id, expires)
}

// downStore is the default store of the error-response cases: every call
// fails, as with a backend that cannot be reached.
type downStore struct{}

var errDown = errors.New("conformance: the store is down (a stub whose every call fails)")

var (
	_ vishnu.Committer = downStore{}
	_ vishnu.Toucher   = downStore{}
)

func (downStore) Load(context.Context, string) ([]byte, error)          { return nil, errDown }
func (downStore) Save(context.Context, string, []byte, time.Time) error { return errDown }
func (downStore) Delete(context.Context, string) error                  { return errDown }
func (downStore) Commit(context.Context, string, *vishnu.Change) error  { return errDown }
func (downStore) Touch(context.Context, string, time.Time) error        { return errDown }
