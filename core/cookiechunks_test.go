package vishnu_test

import (
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// chunkedConfig is the test Config with the cookie store of options o.
func chunkedConfig(t *testing.T, o vishnu.CookieStoreOptions) vishnu.Config {
	t.Helper()
	cfg, _ := testConfig(newClock())
	st, err := vishnu.NewCookieStoreWithOptions(o)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store = st
	cfg.EncryptKey = []byte("an encryption key of 32 bytes!!!")
	return cfg
}

// noise returns n characters that compress little, new on every call.
func noise(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = crand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// fixedNoise is noise that is the same on every run: how well a prefix
// compresses moves a little with its length, so boundaries found by
// bisection must come from the same bytes each time.
func fixedNoise(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.NewChaCha8([32]byte{'v', 'i', 's', 'h', 'n', 'u'}).Read(b)
	return hex.EncodeToString(b)[:n]
}

// sessionCookies returns the session's cookies in the jar, by name.
func (b *browser) sessionCookies() map[string]string {
	u, _ := url.Parse(b.base)
	got := map[string]string{}
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "vishnu" || strings.HasPrefix(c.Name, "vishnu.") {
			got[c.Name] = c.Value
		}
	}
	return got
}

// checkLines fails unless every Set-Cookie line fits in 4096 bytes, as a
// browser must keep them, and returns how many set a cookie.
func checkLines(t *testing.T, set []string) int {
	t.Helper()
	n := 0
	for _, l := range set {
		if len(l) > 4096 {
			t.Fatalf("a Set-Cookie line of %d bytes: %.80s…", len(l), l)
		}
		if !strings.Contains(l, "Max-Age=0") {
			n++
		}
	}
	return n
}

// Around every boundary between n and n+1 cookies, a session round-trips
// through a real server and cookie jar, takes the cookies it should, and
// each line stays within 4096 bytes; past MaxCookies, Save fails with
// ErrCookieTooLarge and changes nothing.
func TestCookieStoreChunkBoundaries(t *testing.T) {
	for _, compress := range []bool{false, true} {
		cfg := chunkedConfig(t, vishnu.CookieStoreOptions{MaxCookies: 3, Compress: compress})
		cfg.AutoSave = false
		base := serve(t, newManager(t, cfg), app())
		// cookies returns how many cookies a session of one value of n
		// characters takes; 0 when it is too large.
		value := fixedNoise(20000)
		cookies := func(n int) int {
			b := newBrowser(t, base)
			got, set := b.get("/save?k=a&v=" + value[:n])
			if got != "ok" {
				if !strings.Contains(got, vishnu.ErrCookieTooLarge.Error()) || len(set) != 0 {
					t.Fatalf("%d characters: %q %q", n, got, set)
				}
				b.expect("/keys", "")
				return 0
			}
			k := checkLines(t, set)
			if len(b.sessionCookies()) != k {
				t.Fatalf("%d characters: the jar holds %v, the response set %d", n, b.sessionCookies(), k)
			}
			b.expect("/get?k=a", "true:"+value[:n])
			return k
		}
		// The least size that takes more than k cookies, by bisection.
		lo := 0
		for k := 1; k <= 3; k++ {
			hi := 20000
			for lo+1 < hi {
				mid := (lo + hi) / 2
				if got := cookies(mid); got != 0 && got <= k {
					lo = mid
				} else {
					hi = mid
				}
			}
			for _, n := range []int{lo - 1, lo} {
				if got := cookies(n); got != k {
					t.Fatalf("compress %v: %d characters take %d cookies, want %d", compress, n, got, k)
				}
			}
			want := k + 1
			if k == 3 {
				want = 0 // too large
			}
			if got := cookies(hi); got != want {
				t.Fatalf("compress %v: %d characters take %d cookies, want %d", compress, hi, got, want)
			}
			// Base64 makes 4 bytes of 3: a cookie holds some 2.9 KB of data.
			if k == 3 && lo < 3*2900 {
				t.Fatalf("compress %v: three cookies hold only %d characters", compress, lo)
			}
		}
	}
}

// With compression, repetitive data takes fewer cookies; with or without,
// what is stored comes back, and a compressed cookie is read by a manager
// that no longer compresses.
func TestCookieStoreCompression(t *testing.T) {
	text := strings.Repeat("the-same-words-again-", 480) // 10 KB
	plain := chunkedConfig(t, vishnu.CookieStoreOptions{})
	b := newBrowser(t, serve(t, newManager(t, plain), app()))
	if n := checkLines(t, b.expect("/set?k=a&v="+text, "ok")); n != 4 {
		t.Fatalf("10 KB uncompressed took %d cookies, want 4", n)
	}
	packed := chunkedConfig(t, vishnu.CookieStoreOptions{Compress: true})
	b = newBrowser(t, serve(t, newManager(t, packed), app()))
	if n := checkLines(t, b.expect("/set?k=a&v="+text, "ok")); n != 1 {
		t.Fatalf("10 KB of repetitive text compressed took %d cookies, want 1", n)
	}
	b.expect("/get?k=a", "true:"+text)
	b.base = serve(t, newManager(t, plain), app())
	b.expect("/get?k=a", "true:"+text)
}

// A session that shrinks deletes the cookies it no longer uses, and one
// that is destroyed deletes them all.
func TestCookieStoreShrinkAndDestroy(t *testing.T) {
	cfg := chunkedConfig(t, vishnu.CookieStoreOptions{})
	b := newBrowser(t, serve(t, newManager(t, cfg), app()))
	big := noise(7000)
	b.expect("/set?k=big&v="+big, "ok")
	b.expect("/set?k=small&v=1", "ok")
	if got := b.sessionCookies(); len(got) != 3 {
		t.Fatalf("7 KB took %d cookies, want 3: %v", len(got), got)
	}
	set := b.expect("/del?k=big", "ok")
	if n := checkLines(t, set); n != 1 || len(set) != 3 {
		t.Fatalf("shrinking to one cookie: %q, want it set and two deleted", set)
	}
	if got := b.sessionCookies(); len(got) != 1 || got["vishnu"] == "" {
		t.Fatalf("after shrinking the jar holds %v", got)
	}
	b.expect("/get?k=small", "true:1")

	b.expect("/set?k=big&v="+big, "ok")
	if got := b.sessionCookies(); len(got) != 3 {
		t.Fatalf("growing again: %v", got)
	}
	set = b.expect("/destroy", "ok")
	if n := checkLines(t, set); n != 0 || len(set) != 3 {
		t.Fatalf("logout sent %q, want the three cookies deleted", set)
	}
	if got := b.sessionCookies(); len(got) != 0 {
		t.Fatalf("logout left %v behind", got)
	}
	b.expect("/new", "true")

	// A logout whose commit then fails still deletes every cookie: the
	// error response carries the deletions.
	b.expect("/set?k=big&v="+big, "ok")
	h := newManager(t, cfg).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		_ = s.Destroy()
		_ = s.Set("huge", noise(30000))
	}))
	b.base = newServer(t, h)
	resp, err := b.c.Get(b.base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("a commit past the limit: status %d", resp.StatusCode)
	}
	if got := b.sessionCookies(); len(got) != 0 {
		t.Fatalf("the failed commit after a logout left %v", got)
	}
}

// A session's cookies are valid only together, as one write made them: a
// missing, altered, reordered or stale cookie, or a mix of two writes, is
// no session at all, never a part of one.
func TestCookieStoreChunksBoundTogether(t *testing.T) {
	for _, encrypt := range []bool{true, false} {
		cfg := chunkedConfig(t, vishnu.CookieStoreOptions{})
		if !encrypt {
			cfg.EncryptKey = nil
		}
		base := serve(t, newManager(t, cfg), app())
		b := newBrowser(t, base)
		first, second := noise(7000), noise(7000)
		b.expect("/set?k=a&v="+first, "ok")
		a := b.sessionCookies()
		b.expect("/set?k=a&v="+second, "ok")
		c := b.sessionCookies()
		if len(a) != 3 || len(c) != 3 {
			t.Fatalf("7 KB took %d and %d cookies, want 3", len(a), len(c))
		}
		flip := func(v string) string {
			r := []byte(v)
			r[len(r)/2] ^= 'A' ^ 'B'
			return string(r)
		}
		for _, tc := range []struct {
			name    string
			cookies map[string]string
			want    string
		}{
			{"the genuine cookies", a, "true:" + first},
			{"the later write", c, "true:" + second},
			{"a missing part", map[string]string{"vishnu": a["vishnu"], "vishnu.1": a["vishnu.1"]}, "false:"},
			{"a missing first cookie", map[string]string{"vishnu.1": a["vishnu.1"], "vishnu.2": a["vishnu.2"]}, "false:"},
			{"an altered part", map[string]string{"vishnu": a["vishnu"], "vishnu.1": flip(a["vishnu.1"]), "vishnu.2": a["vishnu.2"]}, "false:"},
			{"reordered parts", map[string]string{"vishnu": a["vishnu"], "vishnu.1": a["vishnu.2"], "vishnu.2": a["vishnu.1"]}, "false:"},
			{"a stale part", map[string]string{"vishnu": c["vishnu"], "vishnu.1": c["vishnu.1"], "vishnu.2": a["vishnu.2"]}, "false:"},
			{"a stale first cookie", map[string]string{"vishnu": a["vishnu"], "vishnu.1": c["vishnu.1"], "vishnu.2": c["vishnu.2"]}, "false:"},
			{"a count changed", map[string]string{"vishnu": "2" + a["vishnu"][1:], "vishnu.1": a["vishnu.1"], "vishnu.2": a["vishnu.2"]}, "false:"},
		} {
			fresh := newBrowser(t, base)
			for name, v := range tc.cookies {
				fresh.setCookie(name, v)
			}
			got, _ := fresh.get("/get?k=a")
			if got != tc.want {
				t.Fatalf("encrypt %v, %s: got %.40q, want %q", encrypt, tc.name, got, tc.want)
			}
			if tc.want == "false:" {
				fresh.expect("/new", "true")
			}
		}
	}
}

// MaxCookies is checked by NewCookieStoreWithOptions, and New checks that
// the cookie's name and attributes leave room for data in each cookie.
func TestCookieStoreOptionsValidated(t *testing.T) {
	for _, n := range []int{-1, 9} {
		if _, err := vishnu.NewCookieStoreWithOptions(vishnu.CookieStoreOptions{MaxCookies: n}); err == nil || !strings.HasPrefix(err.Error(), "vishnu: ") {
			t.Fatalf("MaxCookies %d: %v, want an error", n, err)
		}
	}
	cfg := chunkedConfig(t, vishnu.CookieStoreOptions{MaxCookies: 8})
	newManager(t, cfg)
	cfg.Cookie.Path = "/" + strings.Repeat("p", 3000)
	_, err := vishnu.New(cfg)
	var ce *vishnu.ConfigError
	if !errors.As(err, &ce) || ce.Field != "Cookie" {
		t.Fatalf("a path that leaves no room: %v, want a ConfigError on Cookie", err)
	}
	cfg.Store = vishnu.NewMemoryStore() // a token fits anywhere
	newManager(t, cfg)
}

// A session of 5 KB takes two cookies; MaxCookies bounds how many.
func ExampleNewCookieStoreWithOptions() {
	store, err := vishnu.NewCookieStoreWithOptions(vishnu.CookieStoreOptions{MaxCookies: 2})
	if err != nil {
		log.Fatal(err)
	}
	m, err := vishnu.New(vishnu.Config{
		Store:      store,
		Secret:     []byte("use 32 random bytes from a vault"),
		EncryptKey: []byte("and 32 other random bytes, too!!"),
	})
	if err != nil {
		log.Fatal(err)
	}
	rec := httptest.NewRecorder()
	m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		_ = s.Set("notes", noise(5000))
		fmt.Println(s.Save())
		_ = s.Set("more", noise(5000))
		fmt.Println(errors.Is(s.Save(), vishnu.ErrCookieTooLarge))
	})).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	for _, c := range rec.Result().Cookies() {
		fmt.Println(c.Name)
	}
	// Output:
	// <nil>
	// true
	// vishnu
	// vishnu.1
}
