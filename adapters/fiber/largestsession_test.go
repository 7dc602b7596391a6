package vishnufiber_test

import (
	"math/rand/v2"
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v2"
	vishnu "github.com/vishnu-go/vishnu/core"

	vishnufiber "github.com/vishnu-go/vishnu/adapters/fiber"
)

// TestLargestCookieStoreSession: a cookie-store session allowed the most
// cookies, eight, and large enough to take every one of them (vishnu and
// vishnu.1 to vishnu.7) comes back whole on the next request.
func TestLargestCookieStoreSession(t *testing.T) {
	store, err := vishnu.NewCookieStoreWithOptions(vishnu.CookieStoreOptions{MaxCookies: 8})
	if err != nil {
		t.Fatal(err)
	}
	m := newManager(t, func(c *vishnu.Config) {
		c.Store = store
		c.EncryptKey = []byte("an encryption key of thirty-two bytes!")
	})
	app := fiber.New(fiber.Config{DisableStartupMessage: true, ReadBufferSize: 64 << 10})
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
	b := newBrowser(t, listen(t, app))

	// Random letters keep the value from compressing: grow it until the
	// session takes the eighth cookie.
	rng := rand.New(rand.NewPCG(3, 4))
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var value string
	for n := 18000; ; n += 250 {
		if n > 30000 {
			t.Fatal("no value up to 30000 bytes made the session take eight cookies")
		}
		v := make([]byte, n)
		for i := range v {
			v[i] = letters[rng.IntN(len(letters))]
		}
		r := b.post("/big", string(v))
		if r.status != http.StatusOK {
			t.Fatalf("saving a %d-byte value: status %d, body %q", n, r.status, r.body)
		}
		if len(r.sessionCookies("vishnu.7")) == 1 {
			value = string(v)
			break
		}
	}
	if r := b.get("/get"); r.status != http.StatusOK || r.body != value {
		t.Errorf("a session in eight cookies: status %d, %d-byte value back, want 200 and the %d-byte value saved", r.status, len(r.body), len(value))
	}
}

// TestChunkedSessionUnderAnyCookieName: the numbered cookies of a session
// are found whatever the session cookie's name ends with, a digit or a
// hyphen included.
func TestChunkedSessionUnderAnyCookieName(t *testing.T) {
	for _, name := range []string{"sid0", "app-session-", "s9"} {
		t.Run(name, func(t *testing.T) {
			m := newManager(t, func(c *vishnu.Config) {
				c.Store = vishnu.NewCookieStore()
				c.EncryptKey = []byte("an encryption key of thirty-two bytes!")
				c.Cookie.Name = name
			})
			app := newApp()
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
			b := newBrowser(t, listen(t, app))
			rng := rand.New(rand.NewPCG(5, 6))
			const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			v := make([]byte, 6000)
			for i := range v {
				v[i] = letters[rng.IntN(len(letters))]
			}
			r := b.post("/big", string(v))
			if r.status != http.StatusOK || len(r.sessionCookies(name+".1")) != 1 {
				t.Fatalf("saving a 6000-byte value: status %d, Set-Cookie %q; want 200 and a cookie %s.1", r.status, r.header.Values("Set-Cookie"), name)
			}
			if r := b.get("/get"); r.status != http.StatusOK || r.body != string(v) {
				t.Errorf("a session in several cookies named %s: status %d, %d-byte value back, want 200 and the 6000-byte value saved", name, r.status, len(r.body))
			}
		})
	}
}
