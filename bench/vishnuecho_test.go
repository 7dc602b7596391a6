package bench

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	vishnuecho "github.com/vishnu-go/vishnu/adapters/echo"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// The Vishnu-on-echo column goes right after echo-contrib/session's, so that
// the two sessions on echo sit side by side (and after echo-bare, the
// baseline of its untouched row).
func init() {
	i := slices.IndexFunc(libs, func(l lib) bool { return l.name == "echo" })
	libs = slices.Insert(libs, i+1, lib{"vishnu-echo", vishnuEchoApp})
}

// vishnuEchoApp serves the scenarios through Vishnu's echo middleware
// (adapters/echo), with the Manager of vishnuManager: the memory
// store or, for the cookie scenarios, the encrypted cookie store, and
// AutoSave, so that writes need no Save call.
func vishnuEchoApp(tb testing.TB, sc scenario) (app, bool) {
	m := vishnuManager(tb, sc)
	mw := vishnuecho.Middleware(m)
	handle := func(h echo.HandlerFunc) endpoint { return echoServer(h, mw) }

	a := app{cookieName: m.CookieName()}
	a.seed = handle(func(c echo.Context) error {
		if err := vishnuecho.Session(c).Set(userKey, userValue); err != nil {
			tb.Error(err)
		}
		writeOK(c.Response())
		return nil
	})
	a.probe = handle(func(c echo.Context) error {
		s := vishnuecho.Session(c)
		user, _ := vishnu.Get[string](s, userKey)
		n, _ := vishnu.Get[int](s, countKey)
		writeProbe(c.Response(), user, n)
		return nil
	})
	a.setKey = handle(func(c echo.Context) error {
		s := vishnuecho.Session(c)
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
	a.countKs = handle(func(c echo.Context) error {
		writeCount(c.Response(), countKeys(vishnuecho.Session(c).Has))
		return nil
	})

	n := 0
	switch sc {
	case untouched:
		a.run = handle(func(c echo.Context) error { writeOK(c.Response()); return nil })
	case read, cookieRead:
		a.run = handle(func(c echo.Context) error {
			user, _ := vishnu.Get[string](vishnuecho.Session(c), userKey)
			c.Response().Write([]byte(user))
			return nil
		})
	case write, cookieWrite:
		a.run = handle(func(c echo.Context) error {
			n++
			if err := vishnuecho.Session(c).Set(countKey, n); err != nil {
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
