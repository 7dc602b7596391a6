package conformance

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// browser is a client of one server. It carries its session's token the
// way its source says: in a cookie jar, as a browser does (TokenInCookie),
// or as an API client does, holding the token the server answers in the
// response header vishnu.DefaultTokenHeader and sending it back in that
// request header (TokenInHeader) or as "Authorization: Bearer"
// (TokenInBearer). The cases speak of cookies; in the header modes a
// "cookie" is the token in its header.
type browser struct {
	e      *env
	base   string
	prefix string // path prefix of every request, e.g. "/app"
	cookie string // the session cookie's name
	src    vishnu.TokenSource
	jar    http.CookieJar
	client *http.Client // with the jar
	bare   *http.Client // without a jar, for replays and header tokens

	mu    sync.Mutex
	token string // the token held, in the header modes
}

// newBrowser returns a client of the server at base whose session cookie
// is named cookie, carrying its token in src.
func (e *env) newBrowser(base, cookie string, src vishnu.TokenSource, tr http.RoundTripper) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{
		e:      e,
		base:   base,
		cookie: cookie,
		src:    src,
		jar:    jar,
		client: &http.Client{Jar: jar, Transport: tr, Timeout: e.opts.Watchdog,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		bare: &http.Client{Transport: tr, Timeout: e.opts.Watchdog},
	}
}

// as returns a new client of the same server, with no session, carrying
// its token in src.
func (b *browser) as(src vishnu.TokenSource) *browser {
	o := b.e.newBrowser(b.base, b.cookie, src, b.bare.Transport)
	o.prefix = b.prefix
	return o
}

// inHeader reports whether the browser carries its token in a header.
func (b *browser) inHeader() bool { return b.src != vishnu.TokenInCookie }

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

// get requests route with the browser's session, and keeps the token
// answered.
func (b *browser) get(route string, kv ...string) *reply {
	b.e.t.Helper()
	return b.must(b.sendOwn(b.url(route, kv...)))
}

// replay requests route sending exactly the given token values (each as a
// cookie of the session's name, or a header line), and nothing of the
// browser's own session; it keeps nothing.
func (b *browser) replay(values []string, route string, kv ...string) *reply {
	b.e.t.Helper()
	return b.must(b.sendTokens(b.url(route, kv...), values))
}

func (b *browser) must(r *reply, err error) *reply {
	b.e.t.Helper()
	if err != nil {
		b.e.Fatalf("%v (a server must answer every request, whatever its session or store)", err)
	}
	return r
}

// sendOwn requests u with the browser's session, and keeps the token
// answered. It may be called from any goroutine.
func (b *browser) sendOwn(u string) (*reply, error) {
	req, err := b.request(u)
	if err != nil {
		return nil, err
	}
	if !b.inHeader() {
		return b.exchange(b.client, req)
	}
	b.mu.Lock()
	tok := b.token
	b.mu.Unlock()
	if tok != "" {
		b.addToken(req, tok)
	}
	r, err := b.exchange(b.bare, req)
	if err == nil {
		b.keep(r.header)
	}
	return r, err
}

// sendTokens requests u carrying exactly values. It may be called from any
// goroutine.
func (b *browser) sendTokens(u string, values []string) (*reply, error) {
	req, err := b.request(u)
	if err != nil {
		return nil, err
	}
	for _, v := range values {
		b.addToken(req, v)
	}
	return b.exchange(b.bare, req)
}

func (b *browser) request(u string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(b.e.t.Context(), http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	return req, nil
}

// addToken adds a token to req where the browser carries it.
func (b *browser) addToken(req *http.Request, v string) {
	switch b.src {
	case vishnu.TokenInHeader:
		req.Header.Add(vishnu.DefaultTokenHeader, v)
	case vishnu.TokenInBearer:
		req.Header.Add("Authorization", "Bearer "+v)
	default:
		req.Header.Add("Cookie", b.cookie+"="+v)
	}
}

// keep holds the token answered in h, if any ("" when the session was
// destroyed), as a jar keeps a cookie.
func (b *browser) keep(h http.Header) {
	if v, ok := h[vishnu.DefaultTokenHeader]; ok {
		b.mu.Lock()
		b.token = v[0]
		b.mu.Unlock()
	}
}

// exchange sends req with c and reads the reply. It checks that the token
// is answered only where the browser carries it: a header session never
// becomes a cookie, and a cookie's token never goes out in a header.
func (b *browser) exchange(c *http.Client, req *http.Request) (*reply, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: reading the body: %w", req.URL, err)
	}
	r := &reply{status: resp.StatusCode, header: resp.Header, body: body}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		r.isView = json.Unmarshal(body, &r.view) == nil
	}
	b.wantOwnPlace(r.header)
	return r, nil
}

func (b *browser) wantOwnPlace(h http.Header) {
	b.e.t.Helper()
	if b.inHeader() {
		for _, line := range h.Values("Set-Cookie") {
			if c := parseSetCookie(line); c.name == b.cookie || strings.HasPrefix(c.name, b.cookie+".") {
				b.e.Errorf("the answer to a request whose token came in a header sets the session cookie: a header session never becomes a cookie (Set-Cookie: %s)", line)
			}
		}
	} else if v, ok := h[vishnu.DefaultTokenHeader]; ok {
		b.e.Errorf("the answer to a cookie session has the header %s %q: a cookie's token never goes out in a header", vishnu.DefaultTokenHeader, v)
	}
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

// answers returns how r hands the browser its session's token: the
// Set-Cookie lines of the session cookie, or in the header modes the token
// response header, read as a cookie line without attributes.
func (b *browser) answers(r *reply) []*setCookie {
	var out []*setCookie
	if b.inHeader() {
		for _, v := range r.header[vishnu.DefaultTokenHeader] {
			out = append(out, &setCookie{raw: vishnu.DefaultTokenHeader + ": " + v, name: vishnu.DefaultTokenHeader, value: v, header: true})
		}
		return out
	}
	for _, line := range r.header.Values("Set-Cookie") {
		if c := parseSetCookie(line); c.name == b.cookie {
			out = append(out, c)
		}
	}
	return out
}

// oneAnswer returns the one answer of the session's token in r. In the
// header modes it checks too that no cache may keep the response, and that
// it varies with the request header the token came in.
func (b *browser) oneAnswer(r *reply, what string) *setCookie {
	b.e.t.Helper()
	cs := b.answers(r)
	if len(cs) != 1 {
		b.e.Fatalf("%s: got %d answers of the session's token, want 1 (%s)", what, len(cs), b.describe(r))
	}
	if b.inHeader() {
		if cc := r.header.Get("Cache-Control"); cc != "no-store" {
			b.e.Errorf("%s: Cache-Control %q on a response carrying a token, want no-store", what, cc)
		}
		want := vishnu.DefaultTokenHeader
		if b.src == vishnu.TokenInBearer {
			want = "Authorization"
		}
		if v := strings.Join(r.header.Values("Vary"), ", "); !hasVary(v, want) {
			b.e.Errorf("%s: Vary %q does not name %s, the request header the response depends on", what, v, want)
		}
	}
	return cs[0]
}

// describe returns the headers of r that answer a session's token, for a
// failure message.
func (b *browser) describe(r *reply) string {
	return fmt.Sprintf("Set-Cookie: %q, %s: %q", r.header.Values("Set-Cookie"), vishnu.DefaultTokenHeader, r.header.Values(vishnu.DefaultTokenHeader))
}

func hasVary(v, name string) bool {
	for d := range strings.SplitSeq(v, ",") {
		if strings.EqualFold(strings.TrimSpace(d), name) {
			return true
		}
	}
	return false
}

// current returns the session's token the browser holds, or "".
func (b *browser) current() string {
	if b.inHeader() {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.token
	}
	u, _ := url.Parse(b.base + b.prefix + "/")
	for _, c := range b.jar.Cookies(u) {
		if c.Name == b.cookie {
			return c.Value
		}
	}
	return ""
}

// stream requests the streaming route with the browser's session and
// reads the chunks one by one, acknowledging each, as a browser reading a
// streamed page does.
func (b *browser) stream(st *stream, kv ...string) (r *reply, chunks []string, err error) {
	req, err := b.request(b.url("stream", kv...))
	if err != nil {
		return nil, nil, err
	}
	c := b.client
	if b.inHeader() {
		c = b.bare
		if tok := b.current(); tok != "" {
			b.addToken(req, tok)
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b.wantOwnPlace(resp.Header)
	if b.inHeader() {
		b.keep(resp.Header)
	}
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
