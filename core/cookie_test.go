package vishnu_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

func TestDefaultCookieAttributesOverTLS(t *testing.T) {
	cfg, _ := testConfig(newClock())
	cfg.Cookie = vishnu.CookieConfig{} // the defaults: Secure, HttpOnly, Lax
	srv := httptest.NewTLSServer(newManager(t, cfg).Handler(app()))
	defer srv.Close()
	c := srv.Client()
	c.Jar, _ = cookiejar.New(nil)
	b := &browser{t: t, base: srv.URL, c: c}
	set := b.expect("/set?k=a&v=1", "ok")
	if len(set) != 1 {
		t.Fatalf("want one Set-Cookie, got %q", set)
	}
	for _, want := range []string{"vishnu=", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
		if !strings.Contains(set[0], want) {
			t.Errorf("Set-Cookie %q lacks %q", set[0], want)
		}
	}
	for _, unwanted := range []string{"Domain", "Max-Age", "Expires", "Partitioned"} {
		if strings.Contains(set[0], unwanted) {
			t.Errorf("Set-Cookie %q has %q by default", set[0], unwanted)
		}
	}
	b.expect("/get?k=a", "true:1")
}

func TestConfiguredCookieAttributes(t *testing.T) {
	cfg, _ := testConfig(newClock())
	cfg.Timeout = time.Hour
	cfg.Cookie = vishnu.CookieConfig{Name: "__Host-sid", SameSite: http.SameSiteNoneMode, Partitioned: true}
	m := newManager(t, cfg)
	set := setCookieOf(t, m, "/set?k=a&v=1")
	for _, want := range []string{"__Host-sid=", "Path=/", "Secure", "HttpOnly", "SameSite=None", "Partitioned", "Max-Age=3600", "Expires="} {
		if !strings.Contains(set, want) {
			t.Errorf("Set-Cookie %q lacks %q", set, want)
		}
	}

	cfg.Cookie = vishnu.CookieConfig{Name: "s", Domain: "example.com", Path: "/app", Insecure: true, ScriptReadable: true, SameSite: http.SameSiteStrictMode}
	set = setCookieOf(t, newManager(t, cfg), "/app/set?k=a&v=1")
	for _, want := range []string{"s=", "Domain=example.com", "Path=/app", "SameSite=Strict"} {
		if !strings.Contains(set, want) {
			t.Errorf("Set-Cookie %q lacks %q", set, want)
		}
	}
	for _, unwanted := range []string{"Secure", "HttpOnly"} {
		if strings.Contains(set, unwanted) {
			t.Errorf("Set-Cookie %q has %q", set, unwanted)
		}
	}
}

// setCookieOf returns the Set-Cookie line of one request through m.
func setCookieOf(t *testing.T, m *vishnu.Manager, target string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h := m.Handler(http.StripPrefix("/app", app()))
	if !strings.HasPrefix(target, "/app") {
		h = m.Handler(app())
	}
	h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
	return rec.Header().Get("Set-Cookie")
}

func TestBadCookiesGiveAFreshSession(t *testing.T) {
	c := newClock()
	cfg, _ := testConfig(c)
	cfg.Timeout = time.Hour
	base := serve(t, newManager(t, cfg), app())
	b := newBrowser(t, base)
	b.expect("/set?k=a&v=1", "ok")
	good := b.cookie("vishnu")

	other := cfg
	other.Cookie.Name = "other"
	otherValue := strings.TrimPrefix(strings.Split(setCookieOf(t, newManager(t, other), "/set?k=a&v=1"), ";")[0], "other=")

	flip := []byte(good)
	flip[len(flip)/2] ^= 1
	cases := map[string]string{
		"tampered":  string(flip),
		"truncated": good[:len(good)-1],
		"extended":  good + "A",
		"garbage":   "not a cookie at all",
		"empty":     "",
		"oversized": strings.Repeat("A", 5000),
		"renamed":   otherValue,
		"quoted":    `"` + good[:10] + `"`,
	}
	for name, value := range cases {
		t.Run(name, func(t *testing.T) {
			fresh := newBrowser(t, base)
			fresh.setCookie("vishnu", value)
			fresh.expect("/get?k=a", "false:")
			fresh.expect("/new", "true")
		})
	}
	// The genuine cookie still works, and stops working once expired.
	b.expect("/get?k=a", "true:1")
	c.Add(time.Hour + time.Second)
	b.expect("/get?k=a", "false:")
}

func TestSecretRotation(t *testing.T) {
	c := newClock()
	cfg, st := testConfig(c)
	base := serve(t, newManager(t, cfg), app())
	b := newBrowser(t, base)
	b.expect("/set?k=a&v=1", "ok")
	old := b.cookie("vishnu")

	rotated := cfg
	rotated.Secret = []byte("a brand new secret of 32 bytes!!")
	rotated.PreviousSecrets = [][]byte{cfg.Secret}
	rotated.Store = st
	b.base = serve(t, newManager(t, rotated), app())
	set := b.expect("/get?k=a", "true:1")
	if len(set) != 1 || b.cookie("vishnu") == old {
		t.Fatalf("a cookie signed with a previous secret must be re-issued, got %q", set)
	}
	if set := b.expect("/get?k=a", "true:1"); len(set) != 0 {
		t.Fatalf("the re-issued cookie must be current, got Set-Cookie %q", set)
	}

	// Once the old secret is dropped, old cookies stop working.
	rotated.PreviousSecrets = nil
	stale := newBrowser(t, serve(t, newManager(t, rotated), app()))
	stale.setCookie("vishnu", old)
	stale.expect("/get?k=a", "false:")
}

func TestEncryptedCookies(t *testing.T) {
	cfg, st := testConfig(newClock())
	cfg.Store = vishnu.NewCookieStore()
	cfg.EncryptKey = []byte("an encryption key of 32 bytes!!!")
	base := serve(t, newManager(t, cfg), app())
	b := newBrowser(t, base)
	b.expect("/set?k=secret&v=plaintext-visible", "ok")
	if v := b.cookie("vishnu"); strings.Contains(v, "plaintext") || strings.Contains(v, "cGxhaW50ZXh0") {
		t.Fatalf("the cookie shows its data: %q", v)
	}
	b.expect("/get?k=secret", "true:plaintext-visible")
	old := b.cookie("vishnu")

	// Key rotation: the old key still opens, and the cookie is re-sealed.
	rotated := cfg
	rotated.EncryptKey = []byte("another encryption key, 32 bytes")
	rotated.PreviousEncryptKeys = [][]byte{cfg.EncryptKey}
	b.base = serve(t, newManager(t, rotated), app())
	if set := b.expect("/get?k=secret", "true:plaintext-visible"); len(set) != 1 {
		t.Fatalf("a cookie sealed with a previous key must be re-issued, got %q", set)
	}
	rotated.PreviousEncryptKeys = nil
	stale := newBrowser(t, serve(t, newManager(t, rotated), app()))
	stale.setCookie("vishnu", old)
	stale.expect("/get?k=secret", "false:")

	// A server-side store with encryption works the same way.
	cfg.Store = st
	b = newBrowser(t, serve(t, newManager(t, cfg), app()))
	b.expect("/set?k=a&v=1", "ok")
	b.expect("/get?k=a", "true:1")
}

func TestManagersSideBySide(t *testing.T) {
	cfg, _ := testConfig(newClock())
	cfgB := cfg
	cfgB.Cookie.Name = "admin"
	cfgB.Store = vishnu.NewMemoryStore()
	outer, inner := newManager(t, cfg), newManager(t, cfgB)
	h := outer.Handler(inner.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if vishnu.FromContext(r.Context()) != inner.FromContext(r.Context()) {
			t.Error("FromContext must return the innermost session")
		}
		o, i := outer.FromContext(r.Context()), inner.FromContext(r.Context())
		if r.URL.Path == "/set" {
			o.Set("who", "outer")
			i.Set("who", "inner")
		}
		a, _ := vishnu.Get[string](o, "who")
		b, _ := vishnu.Get[string](i, "who")
		w.Write([]byte(a + "," + b))
	})))
	srv := httptest.NewServer(h)
	defer srv.Close()
	b := newBrowser(t, srv.URL)
	if set := b.expect("/set", "outer,inner"); len(set) != 2 {
		t.Fatalf("two managers must set two cookies, got %q", set)
	}
	b.expect("/get", "outer,inner")
	if b.cookie("vishnu") == "" || b.cookie("admin") == "" {
		t.Fatal("both cookies must be in the jar")
	}
}

// A Cookie header of a megabyte of same-name cookies costs a scan, not an
// allocation per cookie: only the first four values are collected.
func TestHugeCookieHeaderIsCheap(t *testing.T) {
	cfg, _ := testConfig(newClock())
	h := newManager(t, cfg).Handler(app())
	req := httptest.NewRequest("GET", "/get?k=a", nil)
	req.Header.Set("Cookie", strings.Repeat("vishnu=x; ", 1<<20/10))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	h.ServeHTTP(httptest.NewRecorder(), req)
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
		t.Errorf("one request with a 1 MiB Cookie header allocated %d bytes", n)
	}
}
