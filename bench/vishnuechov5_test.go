package bench

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/labstack/echo/v5"
	vishnuechov5 "github.com/vishnu-go/vishnu/adapters/echov5"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// The Vishnu-on-echo-v5 column goes right after gorilla/sessions on echo
// v5, so that the two sessions on echo v5 sit side by side.
func init() {
	i := slices.IndexFunc(libs, func(l lib) bool { return l.name == "echov5" })
	libs = slices.Insert(libs, i+1, lib{"vishnu-echov5", vishnuEchoV5App})
}

// vishnuEchoV5App serves the scenarios through Vishnu's echo v5 middleware
// (adapters/echov5), with the Manager of vishnuManager: the memory store
// or, for the cookie scenarios, the encrypted cookie store, and AutoSave,
// so that writes need no Save call.
func vishnuEchoV5App(tb testing.TB, sc scenario) (app, bool) {
	m := vishnuManager(tb, sc)
	mw := vishnuechov5.Middleware(m)
	handle := func(h echo.HandlerFunc) endpoint { return echoV5Server(h, mw) }

	a := app{cookieName: m.CookieName()}
	a.seed = handle(func(c *echo.Context) error {
		if err := vishnuechov5.Session(c).Set(userKey, userValue); err != nil {
			tb.Error(err)
		}
		writeOK(c.Response())
		return nil
	})
	a.probe = handle(func(c *echo.Context) error {
		s := vishnuechov5.Session(c)
		user, _ := vishnu.Get[string](s, userKey)
		n, _ := vishnu.Get[int](s, countKey)
		writeProbe(c.Response(), user, n)
		return nil
	})
	a.setKey = handle(func(c *echo.Context) error {
		s := vishnuechov5.Session(c)
		if _, ok := vishnu.Get[string](s, userKey); !ok {
			return c.String(http.StatusForbidden, "not logged in")
		}
		time.Sleep(work)
		if err := s.Set(keyParam(c.Request().URL.RawQuery), 1); err != nil {
			tb.Error(err)
		}
		writeOK(c.Response())
		return nil
	})
	a.countKs = handle(func(c *echo.Context) error {
		writeCount(c.Response(), countKeys(vishnuechov5.Session(c).Has))
		return nil
	})

	n := 0
	switch sc {
	case untouched:
		a.run = handle(func(c *echo.Context) error { writeOK(c.Response()); return nil })
	case read, cookieRead:
		a.run = handle(func(c *echo.Context) error {
			user, _ := vishnu.Get[string](vishnuechov5.Session(c), userKey)
			c.Response().Write([]byte(user))
			return nil
		})
	case write, cookieWrite:
		a.run = handle(func(c *echo.Context) error {
			n++
			if err := vishnuechov5.Session(c).Set(countKey, n); err != nil {
				tb.Error(err)
			}
			writeOK(c.Response())
			return nil
		})
	case newSession:
		a.run = a.seed
	}
	return a, true
}
