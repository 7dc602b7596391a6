package bench

import (
	"log/slog"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v5"
)

// The echo v5 columns go after the echo v4 ones: echo v5 alone (the
// baseline of its untouched row), then gorilla/sessions on echo v5.
func init() {
	i := slices.IndexFunc(libs, func(l lib) bool { return l.name == "echo" })
	libs = slices.Insert(libs, i+1, lib{"echov5-bare", echoV5BareApp}, lib{"echov5", echoV5App})
}

// echoV5Server returns an echo v5 instance serving GET / with h after the
// middleware mw.
func echoV5Server(h echo.HandlerFunc, mw ...echo.MiddlewareFunc) endpoint {
	e := echo.New()
	e.Logger = slog.New(slog.DiscardHandler)
	e.Use(mw...)
	e.GET("/", h)
	return endpoint{h: e}
}

// echoV5BareApp is echo v5 without session middleware: echo's own cost,
// the baseline of the echo v5 untouched row.
func echoV5BareApp(tb testing.TB, sc scenario) (app, bool) {
	if sc != untouched {
		return app{}, false
	}
	return app{run: echoV5Server(func(c *echo.Context) error { writeOK(c.Response()); return nil })}, true
}

// gorillaStoreKey is where echoV5GorillaMiddleware puts the store in the
// echo context.
const gorillaStoreKey = "_session_store"

// echoV5GorillaMiddleware is the session middleware echo users have on echo
// v5, as echo-contrib wires it (its echo v5 module is not served here): the
// gorilla/sessions store goes into the echo context on each request, and
// handlers get the session from it and save it by hand.
func echoV5GorillaMiddleware(store sessions.Store) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			c.Set(gorillaStoreKey, store)
			return next(c)
		}
	}
}

// echoV5App serves the scenarios through gorilla/sessions on echo v5, over
// the same stores as the gorilla and echo rows (see gorillaStore).
func echoV5App(tb testing.TB, sc scenario) (app, bool) {
	mw := echoV5GorillaMiddleware(gorillaStore(sc))
	handle := func(h echo.HandlerFunc) endpoint { return echoV5Server(h, mw) }
	get := func(c *echo.Context) *sessions.Session {
		store, _ := c.Get(gorillaStoreKey).(sessions.Store)
		s, err := store.Get(c.Request(), gorillaCookie)
		if err != nil {
			tb.Errorf("echov5: %v", err)
		}
		return s
	}
	save := func(c *echo.Context, s *sessions.Session) {
		if err := s.Save(c.Request(), c.Response()); err != nil {
			tb.Errorf("echov5: %v", err)
		}
	}

	a := app{cookieName: gorillaCookie}
	a.seed = handle(func(c *echo.Context) error {
		s := get(c)
		s.Values[userKey] = userValue
		save(c, s)
		writeOK(c.Response())
		return nil
	})
	a.probe = handle(func(c *echo.Context) error {
		s := get(c)
		user, _ := s.Values[userKey].(string)
		n, _ := s.Values[countKey].(int)
		writeProbe(c.Response(), user, n)
		return nil
	})
	a.setKey = handle(func(c *echo.Context) error {
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
	a.countKs = handle(func(c *echo.Context) error {
		s := get(c)
		writeCount(c.Response(), countKeys(func(k string) bool { _, ok := s.Values[k]; return ok }))
		return nil
	})

	n := 0
	switch sc {
	case untouched:
		a.run = handle(func(c *echo.Context) error { writeOK(c.Response()); return nil })
	case read, cookieRead:
		a.run = handle(func(c *echo.Context) error {
			user, _ := get(c).Values[userKey].(string)
			c.Response().Write([]byte(user))
			return nil
		})
	case write, cookieWrite:
		a.run = handle(func(c *echo.Context) error {
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
