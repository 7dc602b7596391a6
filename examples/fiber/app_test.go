package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
	"github.com/vishnu-go/vishnu/examples/pages"
)

const testSecret = "0123456789abcdef0123456789abcdef" // 32 bytes

// server is the app listening on loopback.
type server struct{ URL string }

// newTestServer serves the app, configured as main configures it, on a
// loopback port, with fiber's own listener.
func newTestServer(t *testing.T) *server {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	m, err := pages.NewManager(testSecret, log)
	if err != nil {
		t.Fatal(err)
	}
	app := newApp(m, log)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Listener(ln) }()
	t.Cleanup(func() {
		if err := app.ShutdownWithTimeout(5 * time.Second); err != nil {
			t.Error(err)
		}
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return &server{URL: "http://" + ln.Addr().String()}
}

// browser is a real http.Client with a cookie jar. It does not follow
// redirects, so that each response's Set-Cookie can be looked at.
type browser struct {
	t    *testing.T
	base *url.URL
	jar  *cookiejar.Jar
	c    *http.Client
}

func newBrowser(t *testing.T, srv *server) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse(srv.URL)
	return &browser{t: t, base: base, jar: jar, c: &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is the home page as the browser got it.
type page struct {
	body string
	resp *http.Response
}

var fieldRE = regexp.MustCompile(`id="([a-z-]+)"[^>]*>([^<]*)<`)

// field returns the text of the page element with this id, "" when absent.
func (p page) field(id string) string {
	for _, m := range fieldRE.FindAllStringSubmatch(p.body, -1) {
		if m[1] == id {
			return m[2]
		}
	}
	return ""
}

func (b *browser) do(req *http.Request) *http.Response {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp
}

func (b *browser) home() page {
	b.t.Helper()
	resp := b.do(b.request(http.MethodGet, "/", nil))
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("GET /: %s\n%s", resp.Status, body)
	}
	return page{body: string(body), resp: resp}
}

func (b *browser) request(method, path string, form url.Values) *http.Request {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base.JoinPath(path).String(), body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req
}

// post submits a form as a browser on the page's own origin does, and
// expects the redirect to the home page.
func (b *browser) post(path string, form url.Values) *http.Response {
	b.t.Helper()
	req := b.request(http.MethodPost, path, form)
	req.Header.Set("Origin", b.base.Scheme+"://"+b.base.Host)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp := b.do(req)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		b.t.Fatalf("POST %s: %s, Location %q; want 303 to /", path, resp.Status, resp.Header.Get("Location"))
	}
	return resp
}

// cookie returns the session cookie's value in the jar, "" when none.
func (b *browser) cookie() string {
	for _, c := range b.jar.Cookies(b.base) {
		if c.Name == "vishnu" {
			return c.Value
		}
	}
	return ""
}

func (b *browser) setCookie(value string) {
	b.jar.SetCookies(b.base, []*http.Cookie{{Name: "vishnu", Value: value, Path: "/"}})
}

// sessionCookie returns the session cookie a response sets, or nil.
func sessionCookie(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == "vishnu" {
			return c
		}
	}
	return nil
}

func expect(t *testing.T, p page, want map[string]string) {
	t.Helper()
	for id, w := range want {
		if got := p.field(id); got != w {
			t.Errorf("%s = %q, want %q", id, got, w)
		}
	}
}

// TestStory walks the app as a visitor does: visits, login, the welcome
// flash, logout, and what a stolen or planted cookie is worth at each step.
func TestStory(t *testing.T) {
	srv := newTestServer(t)
	b := newBrowser(t, srv)

	p := b.home()
	expect(t, p, map[string]string{"visits": "1", "is-new": "yes, started by this request",
		"timeout": "20 minutes", "user": "not logged in", "flash": ""})
	c := sessionCookie(p.resp)
	if c == nil || c.MaxAge < 19*60 || c.MaxAge > 20*60 || !c.HttpOnly || c.Secure || c.SameSite != http.SameSiteLaxMode {
		t.Fatalf("first visit's cookie = %v; want HttpOnly, not Secure, SameSite=Lax, Max-Age about 20 minutes", c)
	}
	expect(t, b.home(), map[string]string{"visits": "2", "is-new": "no"})
	expect(t, b.home(), map[string]string{"visits": "3", "is-new": "no"})

	// Session fixation: whoever holds the pre-login cookie must not be
	// logged in when the visitor logs in.
	preLogin := b.cookie()
	resp := b.post("/login", url.Values{"username": {"alice"}})
	c = sessionCookie(resp)
	if c == nil || c.Value == preLogin {
		t.Fatalf("login sets cookie %v; want a new value (regenerated)", c)
	}
	if c.MaxAge != 0 || !c.Expires.IsZero() {
		t.Errorf("login without remember me: cookie has Max-Age %d, Expires %v; want a browser-session cookie", c.MaxAge, c.Expires)
	}

	expect(t, b.home(), map[string]string{"flash": "Welcome, alice", "user": "alice", "visits": "4",
		"is-new": "no", "timeout": "until the browser closes"})
	expect(t, b.home(), map[string]string{"flash": "", "user": "alice", "visits": "5"})

	attacker := newBrowser(t, srv)
	attacker.setCookie(preLogin)
	expect(t, attacker.home(), map[string]string{"user": "not logged in", "visits": "1", "is-new": "yes, started by this request"})

	// Logout: the logged-in cookie is replaced, and a copy of it is dead.
	loggedIn := b.cookie()
	resp = b.post("/logout", nil)
	if c = sessionCookie(resp); c == nil || c.Value == loggedIn {
		t.Fatalf("logout sets cookie %v; want the logged-in cookie replaced", c)
	}
	if b.cookie() == loggedIn {
		t.Fatal("the jar still holds the logged-in cookie after logout")
	}
	expect(t, b.home(), map[string]string{"flash": "Logged out", "user": "not logged in", "visits": "1",
		"timeout": "20 minutes"})
	expect(t, b.home(), map[string]string{"flash": "", "user": "not logged in", "visits": "2"})

	thief := newBrowser(t, srv)
	thief.setCookie(loggedIn)
	expect(t, thief.home(), map[string]string{"user": "not logged in", "visits": "1", "is-new": "yes, started by this request"})
}

func TestRememberMe(t *testing.T) {
	srv := newTestServer(t)
	b := newBrowser(t, srv)
	b.home()
	start := time.Now()
	resp := b.post("/login", url.Values{"username": {"bob"}, "remember": {"1"}})
	c := sessionCookie(resp)
	const want = int(pages.RememberFor / time.Second)
	if c == nil || c.MaxAge < want-60 || c.MaxAge > want {
		t.Fatalf("login with remember me sets cookie %v; want Max-Age about %d (30 days)", c, want)
	}
	if d := c.Expires.Sub(start.Add(pages.RememberFor)); d < -time.Minute || d > time.Minute {
		t.Errorf("cookie Expires %v is %v away from 30 days from now", c.Expires, d)
	}
	expect(t, b.home(), map[string]string{"user": "bob", "timeout": "30 days", "flash": "Welcome, bob"})

	// Logging in again without the box makes it a browser-session cookie.
	resp = b.post("/login", url.Values{"username": {"bob"}})
	if c = sessionCookie(resp); c == nil || c.MaxAge != 0 || !c.Expires.IsZero() {
		t.Fatalf("second login without remember me sets cookie %v; want one without Max-Age or Expires", c)
	}
	expect(t, b.home(), map[string]string{"user": "bob", "timeout": "until the browser closes"})

	// Logout ends the long session; the next one has the default timeout.
	b.post("/logout", nil)
	expect(t, b.home(), map[string]string{"user": "not logged in", "timeout": "20 minutes"})
}

// A login form posted before any other page (a bookmarked form, a second
// tab after a restart) works the same.
func TestLoginFirstThing(t *testing.T) {
	b := newBrowser(t, newTestServer(t))
	b.post("/login", url.Values{"username": {"dave"}})
	expect(t, b.home(), map[string]string{"user": "dave", "flash": "Welcome, dave", "visits": "1", "is-new": "no"})
}

func TestLoginNeedsAName(t *testing.T) {
	b := newBrowser(t, newTestServer(t))
	for _, name := range []string{"", "   ", strings.Repeat("x", pages.MaxNameLen+1)} {
		b.post("/login", url.Values{"username": {name}})
		expect(t, b.home(), map[string]string{"user": "not logged in", "flash": "Please enter a name (1 to 64 characters)."})
	}
	b.post("/login", url.Values{"username": {"  <b>Zoë</b> "}})
	p := b.home()
	expect(t, p, map[string]string{"user": "&lt;b&gt;Zoë&lt;/b&gt;", "flash": "Welcome, &lt;b&gt;Zoë&lt;/b&gt;"})
	if strings.Contains(p.body, "<b>Zoë") {
		t.Error("the user name reaches the page unescaped")
	}
}

// A bad cookie is no session: a fresh one, never an error page.
func TestTamperedCookie(t *testing.T) {
	srv := newTestServer(t)
	b := newBrowser(t, srv)
	b.home()
	b.post("/login", url.Values{"username": {"carol"}})
	good := b.cookie()
	flip := []byte(good)
	i := len(flip) / 2
	flip[i] ^= 1
	if flip[i] == '"' || flip[i] == ';' || flip[i] == ',' || flip[i] == '\\' {
		flip[i] ^= 2
	}
	for name, v := range map[string]string{
		"one bit flipped": string(flip),
		"truncated":       good[:len(good)-4],
		"extended":        good + "AA",
		"garbage":         "not-a-session",
	} {
		t.Run(name, func(t *testing.T) {
			other := newBrowser(t, srv)
			other.setCookie(v)
			p := other.home()
			expect(t, p, map[string]string{"user": "not logged in", "visits": "1", "is-new": "yes, started by this request"})
			if c := sessionCookie(p.resp); c == nil || c.Value == v {
				t.Errorf("cookie after a bad one = %v; want a fresh session's", c)
			}
		})
	}
	expect(t, b.home(), map[string]string{"user": "carol"}) // the real cookie still works
}

// Cross-site form posts are refused before they reach the session.
func TestCrossSitePostRefused(t *testing.T) {
	srv := newTestServer(t)
	b := newBrowser(t, srv)
	b.home()
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "http://evil.example"},
	} {
		req := b.request(http.MethodPost, "/login", url.Values{"username": {"mallory"}})
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp := b.do(req)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST /login with %v: %s, want 403", h, resp.Status)
		}
		if c := sessionCookie(resp); c != nil {
			t.Errorf("a refused POST set a cookie: %v", c)
		}
	}
	expect(t, b.home(), map[string]string{"user": "not logged in"})
}

// A request that never uses its session gets no cookie.
func TestUntouchedSession(t *testing.T) {
	b := newBrowser(t, newTestServer(t))
	resp := b.do(b.request(http.MethodGet, "/favicon.ico", nil))
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || sessionCookie(resp) != nil {
		t.Errorf("GET /favicon.ico: %s, cookie %v; want 404 and no cookie", resp.Status, sessionCookie(resp))
	}
}

func TestNewManagerSecret(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	_, err := pages.NewManager("too short", log)
	var ce *vishnu.ConfigError
	if !errors.As(err, &ce) || ce.Field != "Secret" {
		t.Errorf("newManager with a 9-byte secret: %v; want a ConfigError on Secret", err)
	}
	if _, err := pages.NewManager(testSecret, log); err != nil {
		t.Errorf("newManager with a 32-byte secret: %v", err)
	}
	if _, err := pages.NewManager("", log); err != nil {
		t.Errorf("newManager with no secret (random one): %v", err)
	}
	if err := run(t.Context(), "127.0.0.1:0", "too short", log, nil); !errors.As(err, &ce) {
		t.Errorf("run with a short secret: %v; want the constructor's error", err)
	}
}

// run, main's server, starts on a free port, answers, and stops cleanly.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, "127.0.0.1:0", "", slog.New(slog.NewTextHandler(t.Output(), nil)), func(a net.Addr) { addrs <- a })
	}()
	var addr net.Addr
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("run returned before listening: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not start listening")
	}

	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + addr.String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `id="visits">1<`) || sessionCookie(resp) == nil {
		t.Errorf("GET /: %s, cookie %v\n%s", resp.Status, sessionCookie(resp), body)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after shutdown: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not shut down")
	}
}

// A browser with other large cookies for the site still gets the page:
// ReadBufferSize 8192 takes them, where fasthttp's default 4096 answers
// 431 Request Header Fields Too Large.
func TestLargeCookieHeader(t *testing.T) {
	b := newBrowser(t, newTestServer(t))
	b.home()
	b.jar.SetCookies(b.base, []*http.Cookie{{Name: "prefs", Value: strings.Repeat("x", 4500), Path: "/"}})
	expect(t, b.home(), map[string]string{"visits": "2", "is-new": "no"})
}
