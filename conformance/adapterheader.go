package conformance

import (
	"fmt"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// The cases about where a token travels (vishnu.TokenConfig): only where
// the Manager reads it, never in a URL, answered only where it came from.
// Every other case runs in each mode too (see tokenModes).

const headerCookieStore = "the cookie store cannot carry header tokens (vishnu.New rejects it: Destroy could not revoke one); the header modes run with a server-side store"

// srcPlace names where a source carries a token, for failure messages.
func srcPlace(src vishnu.TokenSource) string {
	switch src {
	case vishnu.TokenInHeader:
		return "the " + vishnu.DefaultTokenHeader + " header"
	case vishnu.TokenInBearer:
		return "Authorization: Bearer"
	}
	return "the cookie"
}

func wrongPlaceCase(e *env) {
	b := e.start(nil)
	tok := b.establish("user", "ada")
	for _, q := range []string{vishnu.DefaultTokenHeader, "token", "access_token", b.cookie} {
		b.wantFresh(b.replay(nil, "get", q, tok), "a valid token in the URL query parameter "+q)
	}
	for _, src := range []vishnu.TokenSource{vishnu.TokenInCookie, vishnu.TokenInHeader, vishnu.TokenInBearer} {
		if src != b.src {
			o := b.as(src)
			o.wantFresh(o.replay([]string{tok}, "get"), fmt.Sprintf("a valid token sent in %s to a server that reads it in %s", srcPlace(src), srcPlace(b.src)))
		}
	}
}

func fixationCase(e *env) {
	if e.cookieStore {
		e.t.Skip(headerCookieStore)
	}
	web := e.start(func(c *vishnu.Config) {
		c.Token.Sources = []vishnu.TokenSource{vishnu.TokenInCookie, vishnu.TokenInHeader}
	})
	api := web.as(vishnu.TokenInHeader)
	// An API client asks for a header session with the header empty; each
	// client's requests check that no answer goes to the other's place.
	r := api.replay([]string{""}, "set", "who", "api", "_save", "1")
	api.ok(r, "a new session asked for with an empty header")
	api.oneAnswer(r, "a new session asked for with an empty header")
	api.keep(r.header)
	for _, route := range []string{"regenerate", "destroy"} {
		api.oneAnswer(api.get(route), "the header session's "+route)
	}
	web.establish("who", "web")
	for _, route := range []string{"regenerate", "destroy"} {
		r := web.get(route)
		web.ok(r, "the cookie session's "+route)
		web.oneAnswer(r, "the cookie session's "+route)
	}
}

func failedLogoutCase(e *env) {
	good := e.startWith(vishnu.NewMemoryStore(), nil)
	tok := good.establish("user", "ada")
	down := e.startDown(nil)
	r := down.replay([]string{tok}, "destroy")
	if r.header.Get(errorHeader) == "" {
		e.Fatalf("a logout the store could not record got status %d and body %q, want the configured error response", r.status, clip(r.body))
	}
	if sc := down.oneAnswer(r, "the error response of a logout the store could not record"); !sc.deletes(time.Now()) {
		e.Errorf("the error response of a logout the store could not record does not tell the client to drop its token: %s", sc.raw)
	}
}
