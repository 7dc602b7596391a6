package bench

import (
	"net/http"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-contrib/sessions/memstore"
	"github.com/gin-gonic/gin"
)

// ginEngine returns a gin engine, without gin's logger and recovery
// middleware, serving GET / with h after the middleware mw.
func ginEngine(h gin.HandlerFunc, mw ...gin.HandlerFunc) endpoint {
	e := gin.New()
	e.Use(mw...)
	e.GET("/", h)
	return endpoint{h: e}
}

// ginBareApp is gin without the sessions middleware: gin's own cost, the
// baseline of the gin untouched row.
func ginBareApp(tb testing.TB, sc scenario) (app, bool) {
	if sc != untouched {
		return app{}, false
	}
	return app{run: ginEngine(func(c *gin.Context) { writeOK(c.Writer) })}, true
}

// ginApp serves the scenarios through gin-contrib/sessions: its memstore
// (quasoft/memstore under gorilla/sessions) or its cookie store (gorilla's
// CookieStore, signed and encrypted).
func ginApp(tb testing.TB, sc scenario) (app, bool) {
	var store sessions.Store
	if sc.inCookie() {
		store = cookie.NewStore(signKey, encryptKey)
	} else {
		store = memstore.NewStore(signKey)
	}
	store.Options(sessions.Options{Path: "/", MaxAge: 30 * 86400, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	mw := sessions.Sessions(gorillaCookie, store)
	handle := func(h gin.HandlerFunc) endpoint { return ginEngine(h, mw) }
	save := func(s sessions.Session) {
		if err := s.Save(); err != nil {
			tb.Errorf("gin: %v", err)
		}
	}

	a := app{cookieName: gorillaCookie}
	a.seed = handle(func(c *gin.Context) {
		s := sessions.Default(c)
		s.Set(userKey, userValue)
		save(s)
		writeOK(c.Writer)
	})
	a.probe = handle(func(c *gin.Context) {
		s := sessions.Default(c)
		user, _ := s.Get(userKey).(string)
		n, _ := s.Get(countKey).(int)
		writeProbe(c.Writer, user, n)
	})
	a.setKey = handle(func(c *gin.Context) {
		s := sessions.Default(c)
		if _, ok := s.Get(userKey).(string); !ok {
			c.String(http.StatusForbidden, "not logged in")
			return
		}
		time.Sleep(work)
		s.Set(keyParam(c.Request.URL.RawQuery), 1)
		save(s)
		writeOK(c.Writer)
	})
	a.countKs = handle(func(c *gin.Context) {
		s := sessions.Default(c)
		writeCount(c.Writer, countKeys(func(k string) bool { return s.Get(k) != nil }))
	})

	n := 0
	switch sc {
	case untouched:
		a.run = handle(func(c *gin.Context) { writeOK(c.Writer) })
	case read, cookieRead:
		a.run = handle(func(c *gin.Context) {
			user, _ := sessions.Default(c).Get(userKey).(string)
			c.Writer.Write([]byte(user))
		})
	case write, cookieWrite:
		a.run = handle(func(c *gin.Context) {
			n++
			s := sessions.Default(c)
			s.Set(countKey, n)
			save(s)
			writeOK(c.Writer)
		})
	case newSession:
		a.run = a.seed
	}
	return a, true
}
