package bench

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/session"
)

// fiberServer returns a fiber app serving GET / with h, as a fasthttp
// handler.
func fiberServer(h fiber.Handler) endpoint {
	f := fiber.New(fiber.Config{DisableStartupMessage: true})
	f.Get("/", h)
	return endpoint{fh: f.Handler()}
}

// fiberApp serves the scenarios with fiber's session package and its
// default memory storage. fiber is built on fasthttp, not net/http, and its
// session package is a store that handlers call, not a middleware: an
// untouched request is fiber alone (the fiber baseline). It keeps no data in
// cookies, so it has no cookie scenarios. See benchFast for how its
// benchmark loop differs from net/http's.
func fiberApp(tb testing.TB, sc scenario) (app, bool) {
	if sc.inCookie() {
		return app{}, false
	}
	store := session.New(session.Config{CookieHTTPOnly: true, CookieSameSite: "Lax"})
	tb.Cleanup(func() { store.Storage.Close() })
	get := func(c *fiber.Ctx) *session.Session {
		s, err := store.Get(c)
		if err != nil {
			tb.Errorf("fiber: %v", err)
		}
		return s
	}
	save := func(s *session.Session) {
		if err := s.Save(); err != nil {
			tb.Errorf("fiber: %v", err)
		}
	}

	a := app{cookieName: "session_id"}
	a.seed = fiberServer(func(c *fiber.Ctx) error {
		s := get(c)
		s.Set(userKey, userValue)
		save(s)
		writeOK(c)
		return nil
	})
	a.probe = fiberServer(func(c *fiber.Ctx) error {
		s := get(c)
		user, _ := s.Get(userKey).(string)
		n, _ := s.Get(countKey).(int)
		writeProbe(c, user, n)
		return nil
	})
	a.setKey = fiberServer(func(c *fiber.Ctx) error {
		s := get(c)
		if _, ok := s.Get(userKey).(string); !ok {
			return c.Status(http.StatusForbidden).SendString("not logged in")
		}
		time.Sleep(work)
		s.Set(strings.Clone(c.Query("k")), 1) // fiber reuses the query buffer
		save(s)
		writeOK(c)
		return nil
	})
	a.countKs = fiberServer(func(c *fiber.Ctx) error {
		s := get(c)
		writeCount(c, countKeys(func(k string) bool { return s.Get(k) != nil }))
		return nil
	})

	n := 0
	switch sc {
	case untouched:
		a.run = fiberServer(func(c *fiber.Ctx) error { writeOK(c); return nil })
	case read:
		a.run = fiberServer(func(c *fiber.Ctx) error {
			user, _ := get(c).Get(userKey).(string)
			c.Write([]byte(user))
			return nil
		})
	case write:
		a.run = fiberServer(func(c *fiber.Ctx) error {
			n++
			s := get(c)
			s.Set(countKey, n)
			save(s)
			writeOK(c)
			return nil
		})
	case newSession:
		a.run = a.seed
	}
	return a, true
}
