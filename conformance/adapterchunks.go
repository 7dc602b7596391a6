package conformance

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// The cookie store splits a session larger than one cookie over numbered
// cookies (vishnu, vishnu.1, …): every one of them must travel through the
// adapter both ways, each response must delete the pieces the session no
// longer needs, and a request missing a piece must get a fresh session.

// chunksNotCookieStore is why the chunk cases skip on another store.
const chunksNotCookieStore = "only the cookie store splits a session over several cookies (see vishnu.NewCookieStore)"

// bigValueBytes is how much random data the large session value carries:
// base64 makes it 9000 characters, which no compression shrinks into one
// cookie, and which the default 4 cookies hold.
const bigValueBytes = 6750

func chunkCases() []adapterCase {
	return []adapterCase{
		{"RoundTrip", "a session larger than one cookie goes out in numbered cookies and comes back whole, request after request", chunkRoundTripCase},
		{"Shrink", "when a session shrinks, the response deletes the cookies it no longer needs", chunkShrinkCase},
		{"Destroy", "Destroy deletes every cookie of a session that took several", chunkDestroyCase},
		{"MissingPiece", "a request missing a piece of its session, or carrying a piece of another write, gets a fresh session, never a mixed one", chunkMissingCase},
	}
}

// chunked is a chunk case's browser, with the value its hook route sets.
type chunked struct {
	*browser
	big atomic.Pointer[string]
}

// startChunks skips the case unless the store is the cookie store, and
// starts a server whose hook route sets the value "big" (and saves) to the
// last value given to grow. The value does not travel in the request, whose
// cookies already take up to 12 KB: the request line stays short.
func (e *env) startChunks() *chunked {
	e.t.Helper()
	if !e.cookieStore {
		e.t.Skip(chunksNotCookieStore)
	}
	c := &chunked{}
	e.app.hook = func(s *vishnu.Session, _ *Request) *Response {
		err := s.Set("big", *c.big.Load())
		if err == nil {
			err = s.Save()
		}
		return viewResponse(s, nil, err)
	}
	c.browser = e.start(nil)
	return c
}

// bigValue returns a new large random session value.
func bigValue() string { return base64.RawURLEncoding.EncodeToString(randomBytes(bigValueBytes)) }

// grow makes the browser's session hold big.
func (c *chunked) grow(big, what string) *reply {
	c.e.t.Helper()
	c.big.Store(&big)
	r := c.get("hook")
	c.ok(r, what)
	return r
}

// pieces returns the session's cookies in the jar, by name.
func (b *browser) pieces() map[string]string {
	u, _ := url.Parse(b.base + b.prefix + "/")
	out := map[string]string{}
	for _, c := range b.jar.Cookies(u) {
		if c.Name == b.cookie || strings.HasPrefix(c.Name, b.cookie+".") {
			out[c.Name] = c.Value
		}
	}
	return out
}

// pieceNames returns the names of a session's n cookies.
func (b *browser) pieceNames(n int) []string {
	names := []string{b.cookie}
	for i := 1; i < n; i++ {
		names = append(names, b.cookie+"."+strconv.Itoa(i))
	}
	return names
}

// wantPieces checks that the jar holds exactly the cookies the session's
// first cookie says it has (its "n." prefix, or 1 without one), and at
// least atLeast of them, and returns them.
func (b *browser) wantPieces(atLeast int, what string) map[string]string {
	b.e.t.Helper()
	got := b.pieces()
	first, ok := got[b.cookie]
	if !ok {
		b.e.Fatalf("%s: the browser holds no cookie %q (its session cookies: %v)", what, b.cookie, sortedKeys(got))
	}
	n := 1
	if count, _, found := strings.Cut(first, "."); found {
		var err error
		if n, err = strconv.Atoi(count); err != nil {
			b.e.Fatalf("%s: the cookie %q starts with %q, not a count of cookies", what, b.cookie, count)
		}
	}
	want := b.pieceNames(n)
	if names := sortedKeys(got); !slices.Equal(names, want) {
		b.e.Fatalf("%s: the browser holds the session cookies %v; the first says the session takes %d, so want exactly %v (a cookie the session no longer needs was not deleted, or one it needs did not arrive)", what, names, n, want)
	}
	if n < atLeast {
		b.e.Fatalf("%s: the session takes %d cookies, want at least %d", what, n, atLeast)
	}
	return got
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { // vishnu before vishnu.1 before vishnu.2
		return strings.Compare(a+".", b+".")
	})
	return keys
}

// wantBig checks that v is an existing session holding exactly big and the
// other values kv.
func (e *env) wantBig(v view, big, what string, kv ...string) {
	e.t.Helper()
	if v.New {
		e.Errorf("%s: got a new session, want the one with the large value", what)
		return
	}
	got, ok := v.Values["big"]
	switch {
	case !ok:
		e.Errorf("%s: the session has no value big (it holds the keys %v)", what, sortedViewKeys(v))
	case got != big:
		e.Errorf("%s: the value big came back with %d characters, not the %d set (the pieces were joined wrongly)", what, len(got), len(big))
	}
	rest := view{Values: map[string]string{}}
	for k, x := range v.Values {
		if k != "big" {
			rest.Values[k] = x
		}
	}
	e.wantValues(rest, what, kv...)
}

func sortedViewKeys(v view) []string {
	keys := make([]string, 0, len(v.Values))
	for k := range v.Values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// sendPieces requests route with exactly the given cookies, and none from
// the jar.
func (b *browser) sendPieces(cookies map[string]string, route string) *reply {
	b.e.t.Helper()
	req, err := http.NewRequestWithContext(b.e.t.Context(), http.MethodGet, b.url(route), nil)
	if err != nil {
		b.e.t.Fatal(err)
	}
	for _, name := range sortedKeys(cookies) {
		req.AddCookie(&http.Cookie{Name: name, Value: cookies[name]})
	}
	r, err := b.exchange(b.bare, req)
	if err != nil {
		b.e.Fatalf("GET %s with the cookies %v: %v (a server must answer every request, whatever its session)", req.URL, sortedKeys(cookies), err)
	}
	return r
}

func without(m map[string]string, name string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if k != name {
			out[k] = v
		}
	}
	return out
}

func chunkRoundTripCase(e *env) {
	b := e.startChunks()
	b.establish("user", "ada")
	big := bigValue()
	e.wantBig(b.grow(big, "setting a 9000-character value").view, big, "the request that set the large value", "user", "ada")
	b.wantPieces(2, "after a 9000-character value was saved")
	e.wantBig(b.ok(b.get("get"), "reading the large session"), big, "the next request", "user", "ada")
	// A change rewrites every piece; the next request must join the new ones.
	e.wantBig(b.ok(b.get("set", "user", "grace", "_save", "1"), "changing a small value"), big, "the request that changed a small value", "user", "grace")
	b.wantPieces(2, "after a small value of the large session changed")
	e.wantBig(b.ok(b.get("get"), "reading the changed session"), big, "the request after the change", "user", "grace")
}

func chunkShrinkCase(e *env) {
	b := e.startChunks()
	b.establish("user", "ada")
	big := bigValue()
	b.grow(big, "setting a 9000-character value")
	n := len(b.wantPieces(2, "after a 9000-character value was saved"))
	e.wantValues(b.ok(b.get("delete", "k", "big", "_save", "1"), "deleting the large value"), "the request that deleted the large value", "user", "ada")
	b.wantPieces(1, fmt.Sprintf("after the session of %d cookies shrank to a few bytes", n))
	v := b.ok(b.get("get"), "reading the shrunk session")
	if v.New {
		e.Errorf("the request after the session shrank got a new session")
	}
	e.wantValues(v, "the request after the session shrank", "user", "ada")
}

func chunkDestroyCase(e *env) {
	b := e.startChunks()
	b.establish("user", "ada")
	b.grow(bigValue(), "setting a 9000-character value")
	n := len(b.wantPieces(2, "after a 9000-character value was saved"))
	r := b.get("destroy")
	b.ok(r, "destroying the session")
	now := time.Now()
	for _, line := range r.header.Values("Set-Cookie") {
		if c := parseSetCookie(line); slices.Contains(b.pieceNames(n), c.name) && !c.deletes(now) {
			e.Errorf("Destroy set the cookie %q instead of deleting it: %s", c.name, clip([]byte(line)))
		}
	}
	if left := b.pieces(); len(left) > 0 {
		e.Errorf("after Destroy of a session in %d cookies the browser still holds %v (Set-Cookie: %q)", n, sortedKeys(left), r.header.Values("Set-Cookie"))
	}
	b.wantFresh(b.get("get"), "a request after Destroy")
}

func chunkMissingCase(e *env) {
	b := e.startChunks()
	b.establish("user", "ada")
	big := bigValue()
	b.grow(big, "setting a 9000-character value")
	old := b.wantPieces(2, "after a 9000-character value was saved")
	// The whole set, sent the same way, is a valid session: what follows
	// fails for the piece it leaves out, and for nothing else.
	e.wantBig(b.ok(b.sendPieces(old, "get"), "sending every piece"), big, "a request with every piece", "user", "ada")
	for _, name := range sortedKeys(old) {
		b.wantFresh(b.sendPieces(without(old, name), "get"), fmt.Sprintf("a request with the %d pieces of the session but %q", len(old), name))
	}
	// Another write of the same session, as long: its pieces and the old
	// ones have the same names, and no mix of them may be accepted.
	b.grow(bigValue(), "setting another 9000-character value")
	cur := b.wantPieces(2, "after another 9000-character value was saved")
	for _, name := range sortedKeys(cur) {
		mixed := without(cur, name)
		v, ok := old[name]
		if !ok {
			continue
		}
		mixed[name] = v
		b.wantFresh(b.sendPieces(mixed, "get"), fmt.Sprintf("a request with the new pieces of the session but %q from the write before", name))
	}
}
