package vishnu_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// apiClient is a JSON client of a real server: no cookie jar; it keeps the
// token the server answers in a response header, and sends it back in the
// request header of its mode, as the TokenConfig documentation tells it to.
type apiClient struct {
	t      *testing.T
	base   string
	bearer bool   // Authorization: Bearer, else X-Session-Token
	token  string // the token held; "" for none
	ask    bool   // send the header empty when holding no token
	c      *http.Client
}

func newAPIClient(t *testing.T, base string, bearer bool) *apiClient {
	return &apiClient{t: t, base: base, bearer: bearer, c: &http.Client{Timeout: 10 * time.Second}}
}

// do requests path and returns the body and the response; it applies the
// token answer: a value replaces the token, an empty value forgets it.
func (a *apiClient) do(path string) (string, *http.Response) {
	a.t.Helper()
	req, err := http.NewRequestWithContext(a.t.Context(), http.MethodGet, a.base+path, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	switch {
	case a.bearer && a.token != "":
		req.Header.Set("Authorization", "Bearer "+a.token)
	case a.bearer && a.ask:
		req.Header.Set("Authorization", "Bearer")
	case a.token != "" || a.ask:
		req.Header["X-Session-Token"] = []string{a.token}
	}
	resp, err := a.c.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	if v, ok := resp.Header["X-Session-Token"]; ok {
		a.token = v[0]
	}
	return string(body), resp
}

func (a *apiClient) expect(path, want string) *http.Response {
	a.t.Helper()
	got, resp := a.do(path)
	if got != want {
		a.t.Fatalf("GET %s = %q, want %q", path, got, want)
	}
	return resp
}

// wantNoCookie fails if resp sets any cookie: a header session never
// becomes a cookie.
func wantNoCookie(t *testing.T, resp *http.Response, what string) {
	t.Helper()
	if sc := resp.Header.Values("Set-Cookie"); len(sc) > 0 {
		t.Fatalf("%s: Set-Cookie %q on the answer to a header token", what, sc)
	}
}

func headerConfig(c *clock, sources ...vishnu.TokenSource) (vishnu.Config, *countingStore) {
	cfg, st := testConfig(c)
	cfg.Cookie = vishnu.CookieConfig{}
	cfg.Token.Sources = sources
	return cfg, st
}

func TestHeaderTokenLifecycle(t *testing.T) {
	for _, mode := range []struct {
		name   string
		src    vishnu.TokenSource
		bearer bool
		vary   string
	}{
		{"named header", vishnu.TokenInHeader, false, "X-Session-Token"},
		{"bearer", vishnu.TokenInBearer, true, "Authorization"},
	} {
		t.Run(mode.name, func(t *testing.T) {
			cfg, _ := headerConfig(newClock(), mode.src)
			a := newAPIClient(t, serve(t, newManager(t, cfg), app()), mode.bearer)

			resp := a.expect("/set?k=user&v=ada", "ok")
			wantNoCookie(t, resp, "a new session")
			if a.token == "" {
				t.Fatal("a new session's token is not in the X-Session-Token response header")
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q on a response carrying a token, want no-store", cc)
			}
			if v := resp.Header.Get("Vary"); !strings.Contains(v, mode.vary) {
				t.Errorf("Vary %q, want it to name %s", v, mode.vary)
			}
			resp = a.expect("/get?k=user", "true:ada")
			if _, ok := resp.Header["X-Session-Token"]; ok {
				t.Error("an unchanged session answered with a token header")
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "private" {
				t.Errorf("Cache-Control %q on a response that read the session, want private", cc)
			}

			old := a.token
			resp = a.expect("/regenerate", "ok")
			wantNoCookie(t, resp, "Regenerate")
			if a.token == "" || a.token == old {
				t.Fatalf("Regenerate answered token %q, want a new one", a.token)
			}
			a.expect("/get?k=user", "true:ada")
			replay := *a
			replay.token = old
			replay.expect("/get?k=user", "false:")

			resp = a.expect("/destroy", "ok")
			wantNoCookie(t, resp, "Destroy")
			if v, ok := resp.Header["X-Session-Token"]; !ok || v[0] != "" {
				t.Fatalf("Destroy answered X-Session-Token %q (present %v), want present and empty", v, ok)
			}
			replay.token = old
			replay.expect("/get?k=user", "false:")
		})
	}
}

// A token that came in a header is answered in the header only, and one
// that came in the cookie in the cookie only, whatever the order of the
// sources; a new session goes where the request asked for one.
func TestTokenNoFixationAcrossSources(t *testing.T) {
	for _, order := range [][]vishnu.TokenSource{
		{vishnu.TokenInCookie, vishnu.TokenInHeader},
		{vishnu.TokenInHeader, vishnu.TokenInCookie},
	} {
		t.Run(order[0].String()+" first", func(t *testing.T) {
			cfg, _ := testConfig(newClock())
			cfg.Token.Sources = order
			base := serve(t, newManager(t, cfg), app())

			a := newAPIClient(t, base, false)
			a.ask = true // an API client asks for a header session
			resp := a.expect("/set?k=who&v=api", "ok")
			wantNoCookie(t, resp, "a new session asked for in the header")
			if a.token == "" {
				t.Fatal("a new session asked for in the header got no token header")
			}
			for _, path := range []string{"/timeout?d=3h", "/regenerate", "/set?k=more&v=1", "/destroy"} {
				a.expect(path, "ok")
			}

			b := newBrowser(t, base)
			if order[0] == vishnu.TokenInCookie {
				b.expect("/set?k=who&v=web", "ok")
			} else {
				// The header comes first, so a browser gets its cookie
				// only once it has one: give it the one it would have.
				b.setCookie("vishnu", establishCookieToken(t, base))
			}
			if b.cookie("vishnu") == "" {
				t.Fatal("the browser holds no session cookie")
			}
			for _, path := range []string{"/timeout?d=3h", "/regenerate", "/set?k=more&v=1", "/destroy"} {
				resp, err := b.c.Get(b.base + path)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if v, ok := resp.Header["X-Session-Token"]; ok {
					t.Fatalf("GET %s with a cookie session answered X-Session-Token %q: a cookie's token went out in a header", path, v)
				}
				if path != "/destroy" && b.cookie("vishnu") == "" {
					t.Fatalf("GET %s: the cookie session is gone", path)
				}
			}
			if b.cookie("vishnu") != "" {
				t.Error("Destroy of a cookie session left its cookie")
			}
		})
	}
}

// establishCookieToken returns a cookie token of a session made by a
// cookie-only manager of the same secret and store layout: what a browser
// of the header-first manager holds after a cookie login elsewhere.
func establishCookieToken(t *testing.T, base string) string {
	t.Helper()
	b := newBrowser(t, base)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/set?k=who&v=web", nil)
	// A request carrying a (garbage) cookie and no header asks for a cookie
	// session even when the header comes first.
	req.Header.Set("Cookie", "vishnu=x")
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, ok := resp.Header["X-Session-Token"]; ok {
		t.Fatal("a request that carried only a cookie was answered in the header")
	}
	return b.cookie("vishnu")
}

// With the cookie first, a request that carries no token at all gets a
// cookie session; with the header first, a header one.
func TestTokenNewSessionGoesToFirstSource(t *testing.T) {
	for _, tc := range []struct {
		order      []vishnu.TokenSource
		wantCookie bool
	}{
		{[]vishnu.TokenSource{vishnu.TokenInCookie, vishnu.TokenInHeader}, true},
		{[]vishnu.TokenSource{vishnu.TokenInHeader, vishnu.TokenInCookie}, false},
	} {
		cfg, _ := testConfig(newClock())
		cfg.Token.Sources = tc.order
		a := newAPIClient(t, serve(t, newManager(t, cfg), app()), false)
		resp := a.expect("/set?k=a&v=1", "ok")
		gotCookie := len(resp.Header.Values("Set-Cookie")) > 0
		_, gotHeader := resp.Header["X-Session-Token"]
		if gotCookie != tc.wantCookie || gotHeader == tc.wantCookie {
			t.Errorf("sources %v: a new session set a cookie %v and a header %v, want the cookie %v", tc.order, gotCookie, gotHeader, tc.wantCookie)
		}
	}
}

// A token is never read from a URL, whatever its parameter is called.
func TestTokenNotFromURL(t *testing.T) {
	cfg, _ := headerConfig(newClock(), vishnu.TokenInHeader, vishnu.TokenInBearer)
	base := serve(t, newManager(t, cfg), app())
	a := newAPIClient(t, base, false)
	a.expect("/set?k=user&v=ada", "ok")
	tok := a.token
	c := &http.Client{Timeout: 10 * time.Second}
	for _, q := range []string{"X-Session-Token", "x-session-token", "token", "access_token", "vishnu", "session"} {
		resp, err := c.Get(base + "/get?k=user&" + q + "=" + tok)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "false:" {
			t.Errorf("a token in the query parameter %s read the session: %q", q, body)
		}
	}
}

// A tampered header token is no session; so is a token signed for another
// cookie name, or a cookie's token sent to a manager of another name.
func TestHeaderTokenTampered(t *testing.T) {
	cfg, _ := headerConfig(newClock(), vishnu.TokenInBearer)
	base := serve(t, newManager(t, cfg), app())
	a := newAPIClient(t, base, true)
	a.expect("/set?k=user&v=ada", "ok")
	tok := a.token
	for i := 0; i < len(tok); i += 7 {
		b := []byte(tok)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		x := newAPIClient(t, base, true)
		x.token = string(b)
		x.expect("/get?k=user", "false:")
	}
	other := cfg
	other.Cookie.Name = "other"
	x := newAPIClient(t, serve(t, newManager(t, other), app()), true)
	x.token = tok
	x.expect("/get?k=user", "false:")
}

// A logout that could not be recorded still tells the client to forget
// its token, in the header, on the error response.
func TestHeaderTokenDestroyStoreDown(t *testing.T) {
	cfg, st := headerConfig(newClock(), vishnu.TokenInHeader)
	a := newAPIClient(t, serve(t, newManager(t, cfg), app()), false)
	a.expect("/set?k=user&v=ada", "ok")
	st.down.Store(true)
	_, resp := a.do("/destroy")
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d, want the error response's 500", resp.StatusCode)
	}
	wantNoCookie(t, resp, "a failed logout")
	if v, ok := resp.Header["X-Session-Token"]; !ok || v[0] != "" {
		t.Fatalf("X-Session-Token %q (present %v) on a failed logout, want present and empty", v, ok)
	}
	if a.token != "" {
		t.Fatal("the client still holds its token")
	}
}

func TestTokenConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*vishnu.Config)
		field string
	}{
		{"unknown source", func(c *vishnu.Config) { c.Token.Sources = []vishnu.TokenSource{9} }, "Token.Sources"},
		{"source twice", func(c *vishnu.Config) {
			c.Token.Sources = []vishnu.TokenSource{vishnu.TokenInHeader, vishnu.TokenInHeader}
		}, "Token.Sources"},
		{"header without header source", func(c *vishnu.Config) { c.Token.Header = "X-Token" }, "Token.Header"},
		{"invalid header", func(c *vishnu.Config) {
			c.Token = vishnu.TokenConfig{Sources: []vishnu.TokenSource{vishnu.TokenInHeader}, Header: "X Token"}
		}, "Token.Header"},
		{"reserved header", func(c *vishnu.Config) {
			c.Token = vishnu.TokenConfig{Sources: []vishnu.TokenSource{vishnu.TokenInHeader}, Header: "authorization"}
		}, "Token.Header"},
		{"cookie header", func(c *vishnu.Config) {
			c.Token = vishnu.TokenConfig{Sources: []vishnu.TokenSource{vishnu.TokenInBearer}, Header: "Cookie"}
		}, "Token.Header"},
		{"cookie attributes without a cookie", func(c *vishnu.Config) {
			c.Token.Sources = []vishnu.TokenSource{vishnu.TokenInBearer}
			c.Cookie.Insecure = true
		}, "Cookie"},
		{"cookie store", func(c *vishnu.Config) {
			c.Store = vishnu.NewCookieStore()
			c.Token.Sources = []vishnu.TokenSource{vishnu.TokenInCookie, vishnu.TokenInHeader}
		}, "Token.Sources"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _ := testConfig(newClock())
			tc.edit(&cfg)
			_, err := vishnu.New(cfg)
			var ce *vishnu.ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field {
				t.Fatalf("New = %v, want a ConfigError for %s", err, tc.field)
			}
		})
	}
	// What is valid: header tokens with only the cookie's name configured,
	// and both sources with cookie attributes.
	cfg, _ := headerConfig(newClock(), vishnu.TokenInBearer)
	cfg.Cookie.Name = "api"
	newManager(t, cfg)
	cfg, _ = testConfig(newClock())
	cfg.Token = vishnu.TokenConfig{Sources: []vishnu.TokenSource{vishnu.TokenInCookie, vishnu.TokenInHeader}, Header: "X-Api-Session"}
	newManager(t, cfg)
}

// A request may carry a valid token in each place: the session found is
// the one answered, in its own place, even when an earlier source held a
// valid token of a session that is gone.
func TestTokenAnsweredWhereFound(t *testing.T) {
	cfg, _ := testConfig(newClock())
	cfg.Token.Sources = []vishnu.TokenSource{vishnu.TokenInCookie, vishnu.TokenInHeader}
	base := serve(t, newManager(t, cfg), app())
	b := newBrowser(t, base)
	b.expect("/set?k=who&v=web", "ok")
	gone := b.cookie("vishnu")
	b.expect("/destroy", "ok")

	a := newAPIClient(t, base, false)
	a.ask = true
	a.expect("/set?k=who&v=api", "ok")
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/regenerate", nil)
	req.Header.Set("Cookie", "vishnu="+gone)
	req.Header.Set("X-Session-Token", a.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	wantNoCookie(t, resp, "regenerating the header session beside a dead cookie")
	if v := resp.Header.Get("X-Session-Token"); v == "" || v == a.token {
		t.Fatalf("X-Session-Token %q after Regenerate, want a new token", v)
	}
}

// An application's error handler that writes its own response gets the
// token answer among the session's headers (EachHeader with sessionOnly),
// as it gets the Set-Cookie line of a cookie session.
func TestHeaderTokenSessionOnlyErrorHeaders(t *testing.T) {
	cfg, st := headerConfig(newClock(), vishnu.TokenInHeader)
	m := newManager(t, cfg)
	a := newAPIClient(t, serve(t, m, app()), false)
	a.expect("/set?k=user&v=ada", "ok")
	st.down.Store(true)
	base := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := m.Adapter().OpenHTTP(w, r)
		err := s.Destroy()
		got := map[string][]string{}
		m.Adapter().ErrorResponse(s, err).EachHeader(true, func(k string, v []string, _ bool) { got[k] = v })
		if v, ok := got["X-Session-Token"]; !ok || len(v) != 1 || v[0] != "" {
			t.Errorf("the session's error headers %v lack an empty X-Session-Token", got)
		}
	}))
	a.base = base
	a.do("/")
}

// A header session's expiry slides as a cookie's does: the refreshed token
// comes back in the header, and a token past its expiry is no session.
func TestHeaderTokenTimeout(t *testing.T) {
	c := newClock()
	cfg, _ := headerConfig(c, vishnu.TokenInHeader)
	cfg.Timeout = time.Hour
	a := newAPIClient(t, serve(t, newManager(t, cfg), app()), false)
	a.expect("/set?k=user&v=ada", "ok")
	first := a.token
	c.Add(20 * time.Minute)
	a.expect("/get?k=user", "true:ada")
	if a.token == first {
		t.Fatal("a read 20 minutes into a 1-hour session answered no refreshed token")
	}
	c.Add(50 * time.Minute) // past the first token's expiry, not the refreshed one's
	a.expect("/get?k=user", "true:ada")
	old := *a
	old.token = first
	old.expect("/get?k=user", "false:")
	c.Add(2 * time.Hour)
	a.expect("/get?k=user", "false:")
}

// Concurrent requests with one header token keep each other's changes.
func TestHeaderTokenNoLostUpdates(t *testing.T) {
	cfg, _ := headerConfig(newClock(), vishnu.TokenInBearer)
	base := serve(t, newManager(t, cfg), app())
	a := newAPIClient(t, base, true)
	a.expect("/set?k=k0&v=0", "ok")
	const n = 8
	errs := make(chan string, n)
	var wg sync.WaitGroup
	for i := 1; i <= n; i++ {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, fmt.Sprintf("%s/set?k=k%d&v=%d", base, i, i), nil)
			req.Header.Set("Authorization", "Bearer "+a.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err.Error()
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) != "ok" {
				errs <- string(body)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	a.expect("/keys", "k0,k1,k2,k3,k4,k5,k6,k7,k8")
}
