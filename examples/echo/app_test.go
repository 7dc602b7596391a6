package main

import (
	"context"
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
)

const testSecret = "0123456789abcdef0123456789abcdef" // 32 bytes

// startApp runs the app as main does (run, on a loopback port) and stops it
// gracefully with t.Cleanup. It returns the base URL.
func startApp(t *testing.T) *url.URL {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	go func() { done <- run(ctx, "127.0.0.1:0", testSecret, log, func(a net.Addr) { addr <- a }) }()
	var base *url.URL
	select {
	case a := <-addr:
		base = &url.URL{Scheme: "http", Host: a.String()}
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the app did not start")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run after shutdown: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("the app did not shut down")
		}
	})
	return base
}

// browser is a real http.Client with a cookie jar that does not follow
// redirects, so that each response's Set-Cookie can be looked at.
type browser struct {
	t    *testing.T
	base *url.URL
	jar  *cookiejar.Jar
	c    *http.Client
}

func newBrowser(t *testing.T, base *url.URL) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &browser{t: t, base: base, jar: jar, c: &http.Client{
		Jar: jar, Transport: tr, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is the home page as the browser got it.
type page struct {
	body string
	resp *http.Response
}

var fieldRE = regexp.MustCompile(`id="([a-z-]+)"[^>]*>([^<]*)<`)

// field returns the text of the element with this id, "" when absent.
func (p page) field(id string) string {
	for _, m := range fieldRE.FindAllStringSubmatch(p.body, -1) {
		if m[1] == id {
			return m[2]
		}
	}
	return ""
}

func (b *browser) home() page {
	b.t.Helper()
	resp, err := b.c.Get(b.base.String() + "/")
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.t.Fatalf("GET /: %s %v\n%s", resp.Status, err, body)
	}
	return page{string(body), resp}
}

// post submits a form as a browser on the page's own origin does.
func (b *browser) post(path string, form url.Values, sameSite bool) *http.Response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.base.String()+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sameSite {
		req.Header.Set("Origin", b.base.Scheme+"://"+b.base.Host)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	} else {
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// submit posts a form and expects the redirect home.
func (b *browser) submit(path string, form url.Values) *http.Response {
	b.t.Helper()
	resp := b.post(path, form, true)
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

// sessionSetCookie returns the response's Set-Cookie for the session.
func sessionSetCookie(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == "vishnu" {
			return c
		}
	}
	t.Fatalf("%s %s sets no session cookie (Set-Cookie: %q)", resp.Request.Method, resp.Request.URL.Path, resp.Header.Values("Set-Cookie"))
	return nil
}

// loggedOut is what the page shows as the user of a session without one.
const loggedOut = "not logged in"

// replay returns a browser holding only the cookie value v.
func replay(t *testing.T, base *url.URL, v string) *browser {
	b := newBrowser(t, base)
	b.jar.SetCookies(base, []*http.Cookie{{Name: "vishnu", Value: v, Path: "/"}})
	return b
}

func TestCounter(t *testing.T) {
	b := newBrowser(t, startApp(t))
	p := b.home()
	if p.field("visits") != "1" || !strings.HasPrefix(p.field("is-new"), "yes") {
		t.Fatalf("first visit: visits %q, new %q", p.field("visits"), p.field("is-new"))
	}
	if p.resp.Header.Get("Cache-Control") != "no-store" || p.resp.Header.Get("X-Frame-Options") == "" {
		t.Errorf("the page's headers: %v", p.resp.Header)
	}
	sessionSetCookie(t, p.resp)
	p = b.home()
	if p.field("visits") != "2" || p.field("is-new") != "no" {
		t.Errorf("second visit: visits %q, new %q", p.field("visits"), p.field("is-new"))
	}
}

func TestLoginFlashLogout(t *testing.T) {
	base := startApp(t)
	b := newBrowser(t, base)
	b.home()
	before := b.cookie()

	// Login regenerates: a new cookie, and the old one no longer works.
	b.submit("/login", url.Values{"username": {" ada "}})
	loggedIn := b.cookie()
	if loggedIn == "" || loggedIn == before {
		t.Fatalf("login kept the cookie %q (before %q): Regenerate gives a new token", loggedIn, before)
	}
	p := b.home()
	if p.field("user") != "ada" || p.field("flash") != "Welcome, ada" {
		t.Fatalf("after login: user %q, flash %q", p.field("user"), p.field("flash"))
	}
	if p.field("timeout") != "until the browser closes" {
		t.Errorf("login without remember me: timeout %q", p.field("timeout"))
	}
	if p := b.home(); p.field("flash") != "" {
		t.Errorf("the flash was shown again: %q", p.field("flash"))
	}
	if p := replay(t, base, before).home(); p.field("user") != loggedOut {
		t.Errorf("the cookie from before the login is logged in as %q", p.field("user"))
	}

	// Logout destroys: a flash on a fresh session, and the logged-in
	// cookie is worthless.
	b.submit("/logout", url.Values{})
	if p := b.home(); p.field("user") != loggedOut || p.field("flash") != "Logged out" {
		t.Errorf("after logout: user %q, flash %q", p.field("user"), p.field("flash"))
	}
	if p := replay(t, base, loggedIn).home(); p.field("user") != loggedOut {
		t.Errorf("a copy of the logged-out cookie is still logged in as %q", p.field("user"))
	}
}

func TestRememberMe(t *testing.T) {
	b := newBrowser(t, startApp(t))
	resp := b.submit("/login", url.Values{"username": {"grace"}, "remember": {"1"}})
	c := sessionSetCookie(t, resp)
	if c.MaxAge < 29*24*3600 || c.MaxAge > 30*24*3600 {
		t.Errorf("remember me: Max-Age %d, want 30 days", c.MaxAge)
	}
	if p := b.home(); p.field("timeout") != "30 days" || p.field("user") != "grace" {
		t.Errorf("remember me: timeout %q, user %q", p.field("timeout"), p.field("user"))
	}

	d := newBrowser(t, b.base)
	if c := sessionSetCookie(t, d.submit("/login", url.Values{"username": {"linus"}})); c.MaxAge != 0 {
		t.Errorf("without remember me: Max-Age %d, want a browser-session cookie", c.MaxAge)
	}
}

func TestBadLoginAndCrossSite(t *testing.T) {
	b := newBrowser(t, startApp(t))
	b.submit("/login", url.Values{"username": {"   "}})
	if p := b.home(); p.field("user") != loggedOut || !strings.Contains(p.field("flash"), "Please enter a name") {
		t.Errorf("an empty name: user %q, flash %q", p.field("user"), p.field("flash"))
	}
	resp := b.post("/login", url.Values{"username": {"mallory"}}, false)
	if resp.StatusCode != http.StatusForbidden || len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("a cross-site login: %s, Set-Cookie %q; want 403 and no cookie", resp.Status, resp.Header.Values("Set-Cookie"))
	}
	if p := b.home(); p.field("user") != loggedOut {
		t.Errorf("a cross-site login logged the browser in as %q", p.field("user"))
	}
}

func TestNotFoundLeavesSessionAlone(t *testing.T) {
	b := newBrowser(t, startApp(t))
	resp, err := b.c.Get(b.base.String() + "/favicon.ico")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("GET /favicon.ico: %s, Set-Cookie %q; want echo's 404 and no cookie", resp.Status, resp.Header.Values("Set-Cookie"))
	}
}
