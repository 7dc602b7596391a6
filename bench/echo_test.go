package bench

import (
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo-contrib/session"
	"github.com/labstack/echo/v4"
)

// echoServer returns an echo instance serving GET / with h after the
// middleware mw.
func echoServer(h echo.HandlerFunc, mw ...echo.MiddlewareFunc) endpoint {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(mw...)
	e.GET("/", h)
	return endpoint{h: e}
}

// echoBareApp is echo without the session middleware: echo's own cost, the
// baseline of the echo untouched row.
func echoBareApp(tb testing.TB, sc scenario) (app, bool) {
	if sc != untouched {
		return app{}, false
	}
	return app{run: echoServer(func(c echo.Context) error { writeOK(c.Response()); return nil })}, true
}

// echoApp serves the scenarios through echo-contrib/session, which hands
// a gorilla/sessions store to the handlers: the same stores as the gorilla
// rows (see gorillaStore).
func echoApp(tb testing.TB, sc scenario) (app, bool) {
	mw := session.Middleware(gorillaStore(sc))
	handle := func(h echo.HandlerFunc) endpoint { return echoServer(h, mw) }
	get := func(c echo.Context) *sessions.Session {
		s, err := session.Get(gorillaCookie, c)
		if err != nil {
			tb.Errorf("echo: %v", err)
		}
		return s
	}
	save := func(c echo.Context, s *sessions.Session) {
		if err := s.Save(c.Request(), c.Response()); err != nil {
			tb.Errorf("echo: %v", err)
		}
	}

	a := app{cookieName: gorillaCookie}
	a.seed = handle(func(c echo.Context) error {
		s := get(c)
		s.Values[userKey] = userValue
		save(c, s)
		writeOK(c.Response())
		return nil
	})
	a.probe = handle(func(c echo.Context) error {
		s := get(c)
		user, _ := s.Values[userKey].(string)
		n, _ := s.Values[countKey].(int)
		writeProbe(c.Response(), user, n)
		return nil
	})
	a.setKey = handle(func(c echo.Context) error {
		s := get(c)
		if _, ok := s.Values[userKey].(string); !ok {
			return c.String(http.StatusForbidden, "not logged in")
		}
		time.Sleep(work)
		s.Values[keyParam(c.Request().URL.RawQuery)] = 1
		save(c, s)
		writeOK(c.Response())
		return nil
	})
	a.countKs = handle(func(c echo.Context) error {
		s := get(c)
		writeCount(c.Response(), countKeys(func(k string) bool { _, ok := s.Values[k]; return ok }))
		return nil
	})

	n := 0
	switch sc {
	case untouched:
		a.run = handle(func(c echo.Context) error { writeOK(c.Response()); return nil })
	case read, cookieRead:
		a.run = handle(func(c echo.Context) error {
			user, _ := get(c).Values[userKey].(string)
			c.Response().Write([]byte(user))
			return nil
		})
	case write, cookieWrite:
		a.run = handle(func(c echo.Context) error {
			n++
			s := get(c)
			s.Values[countKey] = n
			save(c, s)
			writeOK(c.Response())
			return nil
		})
	case newSession:
		a.run = a.seed
	}
	return a, true
}
