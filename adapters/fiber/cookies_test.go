package vishnufiber_test

import (
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	vishnufiber "github.com/vishnu-go/vishnu/adapters/fiber"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// cookieApp serves /establish (sets user=ada and saves) and /get (answers
// the user) behind the session middleware.
func cookieApp(t *testing.T, m *vishnu.Manager, cfg fiber.Config) string {
	t.Helper()
	cfg.DisableStartupMessage = true
	app := fiber.New(cfg)
	app.Use(vishnufiber.Middleware(m))
	app.Get("/establish", func(c *fiber.Ctx) error {
		s := vishnufiber.Session(c)
		if err := s.Set("user", "ada"); err != nil {
			return err
		}
		return s.Save()
	})
	app.Get("/get", func(c *fiber.Ctx) error {
		user, _ := vishnu.Get[string](vishnufiber.Session(c), "user")
		return c.SendString("user=" + user)
	})
	return listen(t, app)
}

// cookieValue returns the value of the session cookie set by r.
func cookieValue(t *testing.T, r reply) string {
	t.Helper()
	cs := r.sessionCookies("vishnu")
	if len(cs) != 1 {
		t.Fatalf("want one session Set-Cookie line, got %q", cs)
	}
	v, _, _ := strings.Cut(strings.TrimPrefix(cs[0], "vishnu="), ";")
	return v
}

// TestDuplicateCookies: a browser sends several cookies of one name (their
// paths or domains differ), in one Cookie line or several; fiber's
// c.Cookies sees only the first, the adapter hands all of them to the
// session, which picks the valid one.
func TestDuplicateCookies(t *testing.T) {
	m := newManager(t, nil)
	b := newBrowser(t, cookieApp(t, m, fiber.Config{}))
	val := cookieValue(t, b.get("/establish"))
	bare := &browser{t: t, base: b.base, client: http.DefaultClient}
	cases := map[string][]string{
		"one line, garbage first":   {"vishnu=garbage; other=1; vishnu=" + val},
		"two lines, garbage first":  {"vishnu=garbage", "vishnu=" + val},
		"three stale values first":  {"vishnu=a; vishnu=b; vishnu=c; vishnu=" + val},
		"quoted value":              {`vishnu="` + val + `"`},
		"valid first, garbage next": {"vishnu=" + val + "; vishnu=garbage"},
	}
	for name, lines := range cases {
		r := bare.do(http.MethodGet, "/get", http.Header{"Cookie": lines})
		if r.status != http.StatusOK || r.body != "user=ada" {
			t.Errorf("%s (%q): status %d, body %q; want the session's user=ada", name, lines, r.status, r.body)
		}
	}
	// Only the first four values are looked at, as on net/http.
	r := bare.do(http.MethodGet, "/get", http.Header{"Cookie": {"vishnu=a; vishnu=b; vishnu=c; vishnu=d; vishnu=" + val}})
	if r.body != "user=" {
		t.Errorf("a valid cookie fifth of its name was used (body %q); only four values should be", r.body)
	}
}

// TestRawSetCookieLine: the Set-Cookie line is core's, attribute for
// attribute, which fiber's c.Cookie could not write (Partitioned; no
// SameSite at all).
func TestRawSetCookieLine(t *testing.T) {
	for name, cc := range map[string]vishnu.CookieConfig{
		"partitioned":  {Partitioned: true, SameSite: http.SameSiteNoneMode},
		"no samesite":  {Insecure: true, SameSite: http.SameSiteDefaultMode},
		"strict, path": {Insecure: true, SameSite: http.SameSiteStrictMode, Path: "/"},
	} {
		t.Run(name, func(t *testing.T) {
			m := newManager(t, func(c *vishnu.Config) { c.Cookie = cc })
			b := newBrowser(t, cookieApp(t, m, fiber.Config{}))
			cs := b.get("/establish").sessionCookies("vishnu")
			if len(cs) != 1 {
				t.Fatalf("want one session Set-Cookie line, got %q", cs)
			}
			c, err := http.ParseSetCookie(cs[0])
			if err != nil {
				t.Fatal(err)
			}
			want := cc.SameSite
			if want == http.SameSiteDefaultMode {
				want = 0 // what net/http parses from a line without SameSite
			}
			if c.Partitioned != cc.Partitioned || c.SameSite != want || c.Secure == cc.Insecure {
				t.Errorf("Set-Cookie %q: Partitioned %v, SameSite %v, Secure %v; want %v, %v, %v", cs[0], c.Partitioned, c.SameSite, c.Secure, cc.Partitioned, want, !cc.Insecure)
			}
			if cc.SameSite == http.SameSiteDefaultMode && strings.Contains(strings.ToLower(cs[0]), "samesite") {
				t.Errorf("Set-Cookie %q has a SameSite attribute; none was configured", cs[0])
			}
		})
	}
}

// TestCookieStoreSession: a cookie-store session of about 4000 bytes makes
// the round trip with ReadBufferSize 8192, the size the README gives; with
// fasthttp's default of 4096, fiber answers 431 to the request that carries
// it.
func TestCookieStoreSession(t *testing.T) {
	m := newManager(t, func(c *vishnu.Config) {
		c.Store = vishnu.NewCookieStore()
		c.EncryptKey = []byte("an encryption key of thirty-two bytes!")
	})
	serve := func(readBuffer int) *browser {
		app := fiber.New(fiber.Config{DisableStartupMessage: true, ReadBufferSize: readBuffer})
		app.Use(vishnufiber.Middleware(m))
		app.Post("/big", func(c *fiber.Ctx) error {
			s := vishnufiber.Session(c)
			if err := s.Set("blob", string(c.Body())); err != nil {
				return err
			}
			return s.Save()
		})
		app.Get("/get", func(c *fiber.Ctx) error {
			v, _ := vishnu.Get[string](vishnufiber.Session(c), "blob")
			return c.SendString(v)
		})
		return &browser{t: t, base: listen(t, app), client: http.DefaultClient}
	}
	big, small := serve(8192), serve(0)

	// The cookie grows with the value, which random letters keep from
	// compressing: find a value whose cookie is 3950 to 4000 bytes.
	rng := rand.New(rand.NewPCG(1, 2))
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var value, cookie string
	for n := 2000; n < 4000 && len(cookie) < 3950; n += 10 {
		b := make([]byte, n)
		for i := range b {
			b[i] = letters[rng.IntN(len(letters))]
		}
		value = string(b)
		r := big.post("/big", value)
		if r.status != http.StatusOK {
			t.Fatalf("saving a %d-byte value: status %d, body %q", n, r.status, r.body)
		}
		cookie = "vishnu=" + cookieValue(t, r)
	}
	if len(cookie) < 3950 || len(cookie) > 4000 {
		t.Fatalf("no value gave a cookie of 3950 to 4000 bytes (last: %d)", len(cookie))
	}

	// What a browser sends besides the cookie: about 700 bytes.
	header := http.Header{
		"Cookie":                    {cookie},
		"User-Agent":                {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"},
		"Accept":                    {"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"},
		"Accept-Language":           {"en-GB,en-US;q=0.9,en;q=0.8,fr;q=0.7"},
		"Sec-Ch-Ua":                 {`"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"`},
		"Sec-Ch-Ua-Mobile":          {"?0"},
		"Sec-Ch-Ua-Platform":        {`"Windows"`},
		"Sec-Fetch-Dest":            {"document"},
		"Sec-Fetch-Mode":            {"navigate"},
		"Sec-Fetch-Site":            {"same-origin"},
		"Sec-Fetch-User":            {"?1"},
		"Upgrade-Insecure-Requests": {"1"},
		"Referer":                   {"https://www.example.com/account/settings/profile?tab=security"},
	}
	r := big.do(http.MethodGet, "/get", header)
	if r.status != http.StatusOK || r.body != value {
		t.Errorf("with ReadBufferSize 8192, a %d-byte cookie-store session and a browser's headers: status %d, %d-byte body; want 200 and the %d-byte value saved", len(cookie), r.status, len(r.body), len(value))
	}
	if r := small.do(http.MethodGet, "/get", header); r.status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("with fasthttp's default ReadBufferSize, a %d-byte cookie and a browser's headers: status %d, want 431 (the README's advice would be needless)", len(cookie), r.status)
	}
}
