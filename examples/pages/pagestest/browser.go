// Package pagestest is the test kit of the example apps: a browser with a
// cookie jar, the page's fields as a visitor reads them, and the stories
// every app must pass whatever its framework. An app's tests start its
// server and hand its URL to the stories.
package pagestest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// CookieName is the name of the session cookie the apps set.
const CookieName = "vishnu"

// Browser is a real http.Client with a cookie jar. It does not follow
// redirects, so that each response's Set-Cookie can be looked at.
type Browser struct {
	T      *testing.T
	Base   *url.URL
	Jar    *cookiejar.Jar
	Client *http.Client
	// UserAgent, when set, is the User-Agent of every request.
	UserAgent string
}

// NewBrowser returns a browser with an empty jar for the app at baseURL.
// Its idle connections are closed when the test ends.
func NewBrowser(t *testing.T, baseURL string) *Browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	base, err := url.Parse(baseURL)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &Browser{T: t, Base: base, Jar: jar, Client: &http.Client{
		Jar:           jar,
		Transport:     tr,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Page is a page as the browser got it.
type Page struct {
	Body string
	Resp *http.Response
}

var fieldRE = regexp.MustCompile(`id="([a-z-]+)"[^>]*>([^<]*)<`)

// Field returns the text of the page element with this id, "" when absent.
func (p Page) Field(id string) string {
	for _, m := range fieldRE.FindAllStringSubmatch(p.Body, -1) {
		if m[1] == id {
			return m[2]
		}
	}
	return ""
}

// Do sends req and fails the test when it gets no response.
func (b *Browser) Do(req *http.Request) *http.Response {
	b.T.Helper()
	resp, err := b.Client.Do(req)
	if err != nil {
		b.T.Fatal(err)
	}
	return resp
}

// Request returns a request for path on the app, with form as its body
// when not nil.
func (b *Browser) Request(method, path string, form url.Values) *http.Request {
	b.T.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.Base.JoinPath(path).String(), body)
	if err != nil {
		b.T.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.UserAgent != "" {
		req.Header.Set("User-Agent", b.UserAgent)
	}
	return req
}

// Get fetches path, whatever its status.
func (b *Browser) Get(path string) Page {
	b.T.Helper()
	resp := b.Do(b.Request(http.MethodGet, path, nil))
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.T.Fatal(err)
	}
	return Page{Body: string(body), Resp: resp}
}

// Home fetches the home page and expects 200.
func (b *Browser) Home() Page {
	b.T.Helper()
	p := b.Get("/")
	if p.Resp.StatusCode != http.StatusOK {
		b.T.Fatalf("GET /: %s\n%s", p.Resp.Status, p.Body)
	}
	return p
}

// Post submits a form as a browser on the page's own origin does, and
// expects the redirect to the home page.
func (b *Browser) Post(path string, form url.Values) *http.Response {
	b.T.Helper()
	req := b.Request(http.MethodPost, path, form)
	req.Header.Set("Origin", b.Base.Scheme+"://"+b.Base.Host)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp := b.Do(req)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		b.T.Fatalf("POST %s: %s, Location %q; want 303 to /", path, resp.Status, resp.Header.Get("Location"))
	}
	return resp
}

// Cookie returns the session cookie's value in the jar, "" when none.
func (b *Browser) Cookie() string {
	for _, c := range b.Jar.Cookies(b.Base) {
		if c.Name == CookieName {
			return c.Value
		}
	}
	return ""
}

// SetCookie puts value in the jar as the session cookie, as a visitor who
// planted or stole it would.
func (b *Browser) SetCookie(value string) {
	b.Jar.SetCookies(b.Base, []*http.Cookie{{Name: CookieName, Value: value, Path: "/"}})
}

// SessionCookie returns the session cookie a response sets, or nil.
func SessionCookie(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == CookieName {
			return c
		}
	}
	return nil
}

// Expect checks the page's fields against want, id to text.
func Expect(t *testing.T, p Page, want map[string]string) {
	t.Helper()
	for id, w := range want {
		if got := p.Field(id); got != w {
			t.Errorf("%s = %q, want %q", id, got, w)
		}
	}
}
