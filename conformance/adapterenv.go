package conformance

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
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
	secret      []byte
	clock       clock
	app         app
	logs        syncBuffer
}

func newEnv(t *testing.T, rule string, serve ServeFunc, opts AdapterOptions) *env {
	e := &env{t: t, rule: rule, serve: serve, opts: opts, secret: randomBytes(vishnu.MinSecretLen)}
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
	e.t.Errorf("rule broken: %s\n%s", e.rule, fmt.Sprintf(format, args...))
}

func (e *env) Fatalf(format string, args ...any) {
	e.t.Helper()
	e.t.Fatalf("rule broken: %s\n%s", e.rule, fmt.Sprintf(format, args...))
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
// the case's application with it. It returns a browser of that server.
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
	m, err := vishnu.New(cfg)
	if err != nil {
		e.t.Fatalf("conformance: vishnu.New: %v", err)
	}
	base := e.serve(e.t, m, e.app.handle)
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" || u.Host == "" {
		e.t.Fatalf("conformance: the ServeFunc returned %q, not a base URL", base)
	}
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{MaxIdleConnsPerHost: 100}
	e.t.Cleanup(tr.CloseIdleConnections)
	return &browser{
		e:      e,
		base:   strings.TrimSuffix(base, "/"),
		cookie: m.CookieName(),
		jar:    jar,
		client: &http.Client{Jar: jar, Transport: tr, Timeout: e.opts.Watchdog,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		bare: &http.Client{Transport: tr, Timeout: e.opts.Watchdog},
	}
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

// Browser ----------------------------------------------------------------------

// browser is a client of one server, with a cookie jar.
type browser struct {
	e      *env
	base   string
	prefix string // path prefix of every request, e.g. "/app"
	cookie string // the session cookie's name
	jar    http.CookieJar
	client *http.Client // with the jar
	bare   *http.Client // without a jar, for replays
}

// reply is a response as the suite sees it.
type reply struct {
	status int
	header http.Header
	body   []byte
	view   view
	isView bool
}

// url returns the URL of route with the query of kv (key, value, …).
func (b *browser) url(route string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	u := b.base + b.prefix + "/" + route
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// get requests route with the browser's cookies.
func (b *browser) get(route string, kv ...string) *reply {
	b.e.t.Helper()
	return b.do(b.client, b.url(route, kv...), nil)
}

// replay requests route sending exactly the given session cookie values,
// and no cookie from the jar.
func (b *browser) replay(values []string, route string, kv ...string) *reply {
	b.e.t.Helper()
	return b.do(b.bare, b.url(route, kv...), values)
}

func (b *browser) do(c *http.Client, u string, cookies []string) *reply {
	b.e.t.Helper()
	r, err := b.send(c, u, cookies)
	if err != nil {
		b.e.Fatalf("GET %s: %v (a server must answer every request, whatever its session or store)", u, err)
	}
	return r
}

func (b *browser) send(c *http.Client, u string, cookies []string) (*reply, error) {
	req, err := http.NewRequestWithContext(b.e.t.Context(), http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	for _, v := range cookies {
		req.Header.Add("Cookie", b.cookie+"="+v)
	}
	return b.exchange(c, req)
}

// exchange sends req with c and reads the reply.
func (b *browser) exchange(c *http.Client, req *http.Request) (*reply, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	r := &reply{status: resp.StatusCode, header: resp.Header, body: body}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		r.isView = json.Unmarshal(body, &r.view) == nil
	}
	return r, nil
}

// ok checks that r is the application's own answer, a view with no error.
func (b *browser) ok(r *reply, what string) view {
	b.e.t.Helper()
	switch {
	case r.status == http.StatusInternalServerError && string(r.body) == noSessionBody:
		b.e.Fatalf("%s: %s", what, noSessionBody)
	case r.header.Get(errorHeader) != "":
		b.e.Fatalf("%s: got the configured error response (status %d), want the application's answer; the managers' log says why", what, r.status)
	case r.status != http.StatusOK || !r.isView:
		b.e.Fatalf("%s: got status %d and body %q, want status 200 and the application's answer", what, r.status, clip(r.body))
	case r.view.Err != "":
		b.e.Fatalf("%s: the session call failed: %s", what, r.view.Err)
	}
	return r.view
}

// setCookies returns the Set-Cookie lines of the session cookie in r.
func (b *browser) setCookies(r *reply) []*setCookie {
	var out []*setCookie
	for _, line := range r.header.Values("Set-Cookie") {
		if c := parseSetCookie(line); c.name == b.cookie {
			out = append(out, c)
		}
	}
	return out
}

// oneSetCookie returns the one Set-Cookie line of the session cookie in r.
func (b *browser) oneSetCookie(r *reply, what string) *setCookie {
	b.e.t.Helper()
	cs := b.setCookies(r)
	if len(cs) != 1 {
		b.e.Fatalf("%s: got %d Set-Cookie headers for the cookie %q, want 1 (all Set-Cookie headers: %q)", what, len(cs), b.cookie, r.header.Values("Set-Cookie"))
	}
	return cs[0]
}

// current returns the session cookie's value in the jar, or "".
func (b *browser) current() string {
	u, _ := url.Parse(b.base + b.prefix + "/")
	for _, c := range b.jar.Cookies(u) {
		if c.Name == b.cookie {
			return c.Value
		}
	}
	return ""
}

// stream requests the streaming route and reads the chunks one by one,
// acknowledging each, as a browser reading a streamed page does.
func (b *browser) stream(st *stream, kv ...string) (r *reply, chunks []string, err error) {
	req, err := http.NewRequestWithContext(b.e.t.Context(), http.MethodGet, b.url("stream", kv...), nil)
	if err != nil {
		return nil, nil, err
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	r = &reply{status: resp.StatusCode, header: resp.Header}
	br := bufio.NewReader(resp.Body)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			chunks = append(chunks, line)
			if isChunk(line) {
				select {
				case st.ack <- struct{}{}:
				default:
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return r, chunks, nil
		}
		if err != nil {
			return r, chunks, err
		}
	}
}

// isChunk reports whether a line of a streamed body is one of the chunks
// the handler waits for the client to receive.
func isChunk(line string) bool {
	return strings.HasPrefix(line, "chunk ") || strings.HasPrefix(line, "data: ")
}

func clip(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// Cookies ----------------------------------------------------------------------

// setCookie is a Set-Cookie header line, parsed just enough to check its
// attributes as written.
type setCookie struct {
	raw   string
	name  string
	value string
	attrs map[string]string // by lower-case name; "" for a flag
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
