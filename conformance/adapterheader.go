package conformance

import (
	"fmt"
	"net/http"
	"strings"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// The header-token cases: the same session through the adapter when its
// token travels in a request header (vishnu.TokenConfig) instead of the
// cookie, read from the request and answered in a response header by the
// adapter's Transport, on every way a handler can answer.

// apiClient is a JSON client of the server: it has no cookie jar, holds the
// token the server answers in vishnu.DefaultTokenHeader, and sends it back
// in that header or as "Authorization: Bearer".
type apiClient struct {
	b      *browser
	bearer bool
	token  string
}

// startAPI starts a server whose Manager reads tokens from sources, and
// returns a client that sends its token as the first header source says.
func (e *env) startAPI(edit func(*vishnu.Config), sources ...vishnu.TokenSource) *apiClient {
	e.t.Helper()
	b := e.start(func(c *vishnu.Config) {
		c.Cookie = vishnu.CookieConfig{}
		c.Token.Sources = sources
		if edit != nil {
			edit(c)
		}
	})
	a := &apiClient{b: b}
	for _, src := range sources {
		if src != vishnu.TokenInCookie {
			a.bearer = src == vishnu.TokenInBearer
			break
		}
	}
	return a
}

// get requests route with the client's token and keeps the token answered.
func (a *apiClient) get(route string, kv ...string) *reply {
	a.b.e.t.Helper()
	r := a.replay(a.token, route, kv...)
	if v, ok := r.header[vishnu.DefaultTokenHeader]; ok {
		a.token = v[0]
	}
	return r
}

// replay requests route with exactly the token tok ("" for none) in the
// client's header, and keeps nothing.
func (a *apiClient) replay(tok, route string, kv ...string) *reply {
	a.b.e.t.Helper()
	u := a.b.url(route, kv...)
	req, err := http.NewRequestWithContext(a.b.e.t.Context(), http.MethodGet, u, nil)
	if err != nil {
		a.b.e.Fatalf("GET %s: %v", u, err)
	}
	switch {
	case tok == "":
	case a.bearer:
		req.Header.Set("Authorization", "Bearer "+tok)
	default:
		req.Header.Set(vishnu.DefaultTokenHeader, tok)
	}
	r, err := a.b.exchange(a.b.bare, req)
	if err != nil {
		a.b.e.Fatalf("GET %s: %v (a server must answer every request, whatever its session or store)", u, err)
	}
	return r
}

// answer returns the token answered in r, and whether there is one.
func answer(r *reply) (string, bool) {
	v, ok := r.header[vishnu.DefaultTokenHeader]
	if !ok {
		return "", false
	}
	return v[0], true
}

// wantToken checks that r answers a new token in the header, and no cookie,
// with the headers that keep every cache from storing it.
func (a *apiClient) wantToken(r *reply, what string) string {
	a.b.e.t.Helper()
	e := a.b.e
	tok, ok := answer(r)
	if !ok || tok == "" {
		e.Fatalf("%s: no token in the %s response header (headers: %v)", what, vishnu.DefaultTokenHeader, r.header)
	}
	if sc := r.header.Values("Set-Cookie"); len(sc) > 0 {
		e.Errorf("%s: Set-Cookie %q on the answer to a header client: a header session never becomes a cookie", what, sc)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		e.Errorf("%s: Cache-Control %q on a response carrying a token, want no-store", what, cc)
	}
	want := vishnu.DefaultTokenHeader
	if a.bearer {
		want = "Authorization"
	}
	if v := strings.Join(r.header.Values("Vary"), ", "); !hasVary(v, want) {
		e.Errorf("%s: Vary %q does not name %s, the request header the response depends on", what, v, want)
	}
	return tok
}

func hasVary(v, name string) bool {
	for d := range strings.SplitSeq(v, ",") {
		if strings.EqualFold(strings.TrimSpace(d), name) {
			return true
		}
	}
	return false
}

const headerCookieStore = "the cookie store cannot carry header tokens (vishnu.New rejects it: Destroy could not revoke one)"

func headerCases() []adapterCase {
	modes := []struct {
		name string
		src  vishnu.TokenSource
	}{{"Header", vishnu.TokenInHeader}, {"Bearer", vishnu.TokenInBearer}}
	var cases []adapterCase
	for _, m := range modes {
		cases = append(cases,
			adapterCase{m.name + "Lifecycle", "a header session is created, kept, regenerated and destroyed through the adapter; its token travels in headers only, and an old token finds nothing", func(e *env) {
				headerLifecycleCase(e, m.src)
			}},
			adapterCase{m.name + "EveryAnswer", "with AutoSave on, a new header session's token is in the response header however the handler answers (a view, nothing at all, a bare status, the framework's error)", func(e *env) {
				headerEveryAnswerCase(e, m.src)
			}},
		)
	}
	return append(cases,
		adapterCase{"Tampered", "an altered header token, a token in the URL, or a token in the wrong header is no session", headerTamperedCase},
		adapterCase{"NoFixation", "with cookie and header both accepted, a header session is answered only in the header and a cookie session only in a cookie", headerFixationCase},
		adapterCase{"StoreDown", "a logout the store could not record still tells the header client to forget its token, on the error response", headerStoreDownCase},
	)
}

func headerLifecycleCase(e *env, src vishnu.TokenSource) {
	if e.cookieStore {
		e.t.Skip(headerCookieStore)
	}
	a := e.startAPI(nil, src)
	a.token = a.wantToken(a.get("set", "user", "ada", "_save", "1"), "a new session saved")
	r := a.get("get")
	e.wantValues(a.b.ok(r, "a request with the token"), "a request with the token", "user", "ada")
	if tok, ok := answer(r); ok {
		e.Errorf("a request that only read its session answered a token %q", tok)
	}
	old := a.token
	r = a.get("regenerate")
	e.wantValues(a.b.ok(r, "regenerating"), "the regenerating request", "user", "ada")
	if a.wantToken(r, "the response of Regenerate") == old {
		e.Errorf("the token after Regenerate is the same as before")
	}
	e.wantValues(a.b.ok(a.get("get"), "a request with the regenerated token"), "a request with the regenerated token", "user", "ada")
	a.b.wantFresh(a.replay(old, "get"), "a replay of the token from before Regenerate")

	cur := a.token
	r = a.get("destroy")
	a.b.ok(r, "destroying the session")
	if tok, ok := answer(r); !ok || tok != "" {
		e.Errorf("Destroy answered %s %q (present %v), want the header present and empty", vishnu.DefaultTokenHeader, tok, ok)
	}
	if sc := r.header.Values("Set-Cookie"); len(sc) > 0 {
		e.Errorf("Destroy of a header session set a cookie: %q", sc)
	}
	a.b.wantFresh(a.replay(cur, "get"), "a replay of the token from before Destroy")
}

func headerEveryAnswerCase(e *env, src vishnu.TokenSource) {
	if e.cookieStore {
		e.t.Skip(headerCookieStore)
	}
	a := e.startAPI(func(c *vishnu.Config) { c.AutoSave = true }, src)
	for _, route := range []string{"set", "empty", "status", "fail"} {
		a.token = ""
		r := a.get(route, "via", route)
		a.wantToken(r, fmt.Sprintf("the %s route's answer (status %d)", route, r.status))
		e.wantValues(a.b.ok(a.get("get"), "a request after the "+route+" route"), "a request after the "+route+" route", "via", route)
	}
}

func headerTamperedCase(e *env) {
	if e.cookieStore {
		e.t.Skip(headerCookieStore)
	}
	a := e.startAPI(nil, vishnu.TokenInHeader)
	tok := a.wantToken(a.get("set", "user", "ada", "_save", "1"), "a new session saved")
	for i := 0; i < len(tok); i += max(1, len(tok)/8) {
		a.b.wantFresh(a.replay(flip(tok, i), "get"), fmt.Sprintf("a header token altered at character %d of %d", i, len(tok)))
	}
	for _, q := range []string{vishnu.DefaultTokenHeader, "token", "access_token", "vishnu"} {
		a.b.wantFresh(a.replay("", "get", q, tok), "a token in the URL query parameter "+q)
	}
	bearer := *a
	bearer.bearer = true
	a.b.wantFresh(bearer.replay(tok, "get"), "a TokenInHeader token sent as Authorization: Bearer")
	a.b.wantFresh(a.b.replay([]string{tok}, "get"), "a header token sent as the cookie")
}

func headerFixationCase(e *env) {
	if e.cookieStore {
		e.t.Skip(headerCookieStore)
	}
	b := e.start(func(c *vishnu.Config) {
		c.Token.Sources = []vishnu.TokenSource{vishnu.TokenInCookie, vishnu.TokenInHeader}
	})
	a := &apiClient{b: b}
	// An API client asks for a header session with the header empty.
	u := b.url("set", "who", "api", "_save", "1")
	req, err := http.NewRequestWithContext(e.t.Context(), http.MethodGet, u, nil)
	if err != nil {
		e.Fatalf("GET %s: %v", u, err)
	}
	req.Header[vishnu.DefaultTokenHeader] = []string{""}
	r, err := b.exchange(b.bare, req)
	if err != nil {
		e.Fatalf("GET %s: %v", u, err)
	}
	a.token = a.wantToken(r, "a new session asked for with an empty header")
	for _, route := range []string{"regenerate", "destroy"} {
		r := a.get(route)
		a.b.ok(r, "the header session's "+route)
		if sc := r.header.Values("Set-Cookie"); len(sc) > 0 {
			e.Errorf("the header session's %s set a cookie: %q", route, sc)
		}
	}

	b.establish("who", "web")
	for _, route := range []string{"regenerate", "destroy"} {
		r := b.get(route)
		b.ok(r, "the cookie session's "+route)
		if tok, ok := answer(r); ok {
			e.Errorf("the cookie session's %s answered %s %q: a cookie's token went out in a header", route, vishnu.DefaultTokenHeader, tok)
		}
		b.oneSetCookie(r, "the cookie session's "+route)
	}
}

func headerStoreDownCase(e *env) {
	if e.cookieStore {
		e.t.Skip(headerCookieStore)
	}
	headerOnly := func(c *vishnu.Config) {
		c.Cookie = vishnu.CookieConfig{}
		c.Token.Sources = []vishnu.TokenSource{vishnu.TokenInHeader}
	}
	good := &apiClient{b: e.startWith(vishnu.NewMemoryStore(), headerOnly)}
	tok := good.wantToken(good.get("set", "user", "ada", "_save", "1"), "a new session saved")
	down := &apiClient{b: e.startDown(headerOnly), token: tok}
	r := down.get("destroy")
	if r.header.Get(errorHeader) == "" {
		e.Fatalf("a logout the store could not record got status %d, want the configured error response", r.status)
	}
	if v, ok := answer(r); !ok || v != "" {
		e.Errorf("the error response of a failed logout answered %s %q (present %v), want present and empty", vishnu.DefaultTokenHeader, v, ok)
	}
	if sc := r.header.Values("Set-Cookie"); len(sc) > 0 {
		e.Errorf("the error response of a header session's failed logout set a cookie: %q", sc)
	}
}
