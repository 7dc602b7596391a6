package vishnu_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// mapTransport is a Transport of an adapter outside core: request cookies
// from a list, response headers in a map of its own.
type mapTransport struct {
	cookies map[string][]string
	header  map[string]string
	lines   map[string]string // Set-Cookie lines by cookie name
}

func newMapTransport() *mapTransport {
	return &mapTransport{cookies: map[string][]string{}, header: map[string]string{}, lines: map[string]string{}}
}

func (t *mapTransport) Cookies(name string) []string  { return t.cookies[name] }
func (t *mapTransport) RequestHeader(string) []string { return nil }
func (t *mapTransport) SetCookie(name, line string)   { t.lines[name] = line }
func (t *mapTransport) Header(key string) string      { return t.header[key] }
func (t *mapTransport) SetHeader(key, value string)   { t.header[key] = value }
func (t *mapTransport) cookieValue(name string) string {
	v, _, _ := strings.Cut(strings.TrimPrefix(t.lines[name], name+"="), ";")
	return v
}

// After the commit point, a change that needs a cookie fails with
// ErrHeadersWritten whatever the Transport: core keeps the commit window,
// so an adapter cannot lose a change silently.
func TestCommitWindowIsCoresForEveryTransport(t *testing.T) {
	cfg, st := testConfig(newClock())
	m := newManager(t, cfg)
	tr := newMapTransport()
	s := m.Adapter().Open(t.Context(), tr)
	if err := m.Adapter().Commit(s); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("k", "v"); !errors.Is(err, vishnu.ErrHeadersWritten) {
		t.Fatalf("Set after Commit on a new session: %v, want ErrHeadersWritten", err)
	}
	if err := s.Save(); err != nil && !errors.Is(err, vishnu.ErrHeadersWritten) {
		t.Fatalf("Save: %v", err)
	}
	m.Adapter().Finish(s)
	if n := st.saves.Load(); n != 0 || len(tr.lines) != 0 {
		t.Fatalf("an undeliverable session was written (%d saves, cookies %v)", n, tr.lines)
	}

	// A committed session: its cookie is set once, at the commit point,
	// with the cache headers.
	s = m.Adapter().Open(t.Context(), tr)
	if err := s.Set("user", "ann"); err != nil {
		t.Fatal(err)
	}
	if len(tr.lines) != 0 {
		t.Fatal("a cookie was set before the commit point")
	}
	if err := m.Adapter().Commit(s); err != nil {
		t.Fatal(err)
	}
	if tr.lines["vishnu"] == "" || tr.header["Vary"] != "Cookie" || tr.header["Cache-Control"] != "private" {
		t.Fatalf("after Commit: cookies %v, headers %v", tr.lines, tr.header)
	}
	next := newMapTransport()
	next.cookies["vishnu"] = []string{tr.cookieValue("vishnu")}
	s = m.Adapter().Open(t.Context(), next)
	if v, _ := vishnu.Get[string](s, "user"); v != "ann" {
		t.Fatalf("the next request reads %q", v)
	}
}

// The error response reaches an adapter as data (status, headers, body),
// with the session's pending deletion cookie: an adapter on any framework
// can send it.
func TestErrorResponseForAdapters(t *testing.T) {
	cfg, st := testConfig(newClock())
	m := newManager(t, cfg)
	tr := newMapTransport()
	s := m.Adapter().Open(t.Context(), tr)
	s.Set("user", "ann")
	if err := m.Adapter().Commit(s); err != nil {
		t.Fatal(err)
	}
	next := newMapTransport()
	next.cookies["vishnu"] = []string{tr.cookieValue("vishnu")}
	s = m.Adapter().Open(t.Context(), next)
	st.down.Store(true)
	if err := s.Destroy(); !errors.Is(err, errDown) {
		t.Fatalf("Destroy with the store down: %v", err)
	}
	err := m.Adapter().Commit(s)
	if !errors.Is(err, errDown) {
		t.Fatalf("Commit after a failed Destroy: %v, want the store's error", err)
	}
	resp := m.Adapter().ErrorResponse(s, err)
	if resp.Status != http.StatusInternalServerError || len(resp.Body) == 0 {
		t.Errorf("error response %d %q", resp.Status, resp.Body)
	}
	if !expiresCookie(resp.Header.Values("Set-Cookie")) || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("error response headers %v, want the deletion cookie and no-store", resp.Header)
	}
	if len(next.lines) != 0 {
		t.Errorf("a failed commit set %v on the response", next.lines)
	}
}

// OpenHTTP gives a net/http adapter the session and the context that
// carries it in one allocation.
func TestOpenHTTP(t *testing.T) {
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	r := httptest.NewRequest("GET", "/", nil)
	w := httptest.NewRecorder()
	s, ctx := m.Adapter().OpenHTTP(w, r)
	if vishnu.FromContext(ctx) != s || m.FromContext(ctx) != s {
		t.Fatal("the context does not carry the session")
	}
	if err := s.Set("user", "ann"); err != nil {
		t.Fatal(err)
	}
	if err := m.Adapter().Commit(s); err != nil {
		t.Fatal(err)
	}
	m.Adapter().Finish(s)
	if len(w.Header().Values("Set-Cookie")) != 1 {
		t.Fatalf("no cookie on the recorder: %v", w.Header())
	}
	if n := testing.AllocsPerRun(100, func() { m.Adapter().OpenHTTP(w, r) }); n != 1 {
		t.Errorf("OpenHTTP allocates %v times, want 1", n)
	}
}

// sentTransport is the Transport of a custom adapter on net/http that
// knows when its headers went out: its writer records the first
// WriteHeader or Write.
type sentTransport struct {
	http.ResponseWriter
	r    *http.Request
	sent bool
}

func (t *sentTransport) Cookies(name string) []string {
	var values []string
	for _, c := range t.r.CookiesNamed(name) {
		values = append(values, c.Value)
	}
	return values
}
func (t *sentTransport) RequestHeader(key string) []string { return t.r.Header.Values(key) }
func (t *sentTransport) SetCookie(name, line string) {
	t.ResponseWriter.Header().Add("Set-Cookie", line)
}
func (t *sentTransport) Header(key string) string {
	return strings.Join(t.ResponseWriter.Header().Values(key), ", ")
}
func (t *sentTransport) SetHeader(key, value string) { t.ResponseWriter.Header().Set(key, value) }
func (t *sentTransport) HeadersSent() bool           { return t.sent }
func (t *sentTransport) WriteHeader(code int)        { t.sent = true; t.ResponseWriter.WriteHeader(code) }
func (t *sentTransport) Write(p []byte) (int, error) {
	t.sent = true
	return t.ResponseWriter.Write(p)
}

// A custom adapter whose Commit comes after its headers went out cannot set
// the cookie: when its Transport says so, Commit reports the change that
// needed the cookie as ErrHeadersWritten (never nil while the cookie is
// lost), writes nothing the browser could not find again, and still
// persists what needs no cookie.
func TestLateCommitReportedThroughTransport(t *testing.T) {
	cfg, st := testConfig(newClock())
	m := newManager(t, cfg)
	a := m.Adapter()
	commitErrs := make(chan error, 1)
	url := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr := &sentTransport{ResponseWriter: w, r: r}
		s := a.Open(r.Context(), tr)
		var err error
		switch r.URL.Path {
		case "/late": // the mistake: the handler writes before the commit point
			err = s.Set("k", r.FormValue("v"))
			tr.Write([]byte("written"))
		case "/on-time":
			err = s.Set("k", r.FormValue("v"))
		case "/late-change": // a stored session's change needs no new cookie
			err = s.Set("k", r.FormValue("v"))
			tr.Write([]byte("written"))
		}
		if err != nil {
			t.Errorf("%s: Set: %v", r.URL.Path, err)
		}
		commitErrs <- a.Commit(s)
		a.Finish(s)
	}))
	b := newBrowser(t, url)

	if _, set := b.get("/late?v=1"); len(set) != 0 {
		t.Fatalf("a Set-Cookie after the headers: %q", set)
	}
	if err := <-commitErrs; !errors.Is(err, vishnu.ErrHeadersWritten) {
		t.Fatalf("Commit after the headers went out = %v, want ErrHeadersWritten", err)
	}
	if n := st.saves.Load(); n != 0 {
		t.Fatalf("%d records written for a session whose cookie was lost", n)
	}

	if _, set := b.get("/on-time?v=2"); len(set) != 1 {
		t.Fatalf("a commit in time set %q", set)
	}
	if err := <-commitErrs; err != nil {
		t.Fatal(err)
	}
	b.get("/late-change?v=3")
	if err := <-commitErrs; err != nil {
		t.Fatalf("a late change that needs no cookie: %v", err)
	}
	tr := newMapTransport()
	tr.cookies["vishnu"] = []string{b.cookie("vishnu")}
	if v, _ := vishnu.Get[string](a.Open(t.Context(), tr), "k"); v != "3" {
		t.Fatalf("the late change that needed no cookie was not kept: k = %q", v)
	}
}
