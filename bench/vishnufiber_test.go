package bench

import (
	"net/http"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	vishnufiber "github.com/vishnu-go/vishnu/adapters/fiber"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// Vishnu on fiber goes after the fiber column, which is fiber's session
// package for the session scenarios and fiber alone (the baseline) for the
// untouched one. Both are served the same way: a fiber app's fasthttp
// handler, through benchFast's reused RequestCtx in the benchmarks and a
// fasthttp server on loopback in the lost-update check.
func init() {
	libs = append(libs, lib{"vishnu-fiber", vishnuFiberApp})
}

// vishnuFiberServer returns a fiber app serving GET / with h behind m's
// session middleware, as a fasthttp handler.
func vishnuFiberServer(m *vishnu.Manager, h fiber.Handler) endpoint {
	f := fiber.New(fiber.Config{DisableStartupMessage: true})
	f.Use(vishnufiber.Middleware(m))
	f.Get("/", h)
	return endpoint{fh: f.Handler()}
}

// vishnuFiberApp serves the scenarios through Vishnu's fiber middleware
// (adapters/fiber) with the Manager of vishnuManager: the memory
// store or, for the cookie scenarios, the encrypted cookie store, and
// AutoSave.
func vishnuFiberApp(tb testing.TB, sc scenario) (app, bool) {
	m := vishnuManager(tb, sc)
	handle := func(h fiber.Handler) endpoint { return vishnuFiberServer(m, h) }
	sess := vishnufiber.Session

	a := app{cookieName: m.CookieName()}
	a.seed = handle(func(c *fiber.Ctx) error {
		if err := sess(c).Set(userKey, userValue); err != nil {
			tb.Error(err)
		}
		writeOK(c)
		return nil
	})
	a.probe = handle(func(c *fiber.Ctx) error {
		user, _ := vishnu.Get[string](sess(c), userKey)
		n, _ := vishnu.Get[int](sess(c), countKey)
		writeProbe(c, user, n)
		return nil
	})
	a.setKey = handle(func(c *fiber.Ctx) error {
		s := sess(c)
		if _, ok := vishnu.Get[string](s, userKey); !ok {
			return c.Status(http.StatusForbidden).SendString("not logged in")
		}
		time.Sleep(work)
		if err := s.Set(keyParam(string(c.Request().URI().QueryString())), 1); err != nil {
			tb.Error(err)
		}
		writeOK(c)
		return nil
	})
	a.countKs = handle(func(c *fiber.Ctx) error {
		writeCount(c, countKeys(sess(c).Has))
		return nil
	})

	n := 0
	switch sc {
	case untouched:
		a.run = handle(func(c *fiber.Ctx) error { writeOK(c); return nil })
	case read, cookieRead:
		a.run = handle(func(c *fiber.Ctx) error {
			user, _ := vishnu.Get[string](sess(c), userKey)
			c.Write([]byte(user))
			return nil
		})
	case write, cookieWrite:
		a.run = handle(func(c *fiber.Ctx) error {
			n++
			if err := sess(c).Set(countKey, n); err != nil {
				tb.Error(err)
			}
			writeOK(c)
			return nil
		})
	case newSession:
		a.run = a.seed
	}
	return a, true
}
