package bench

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	vishnugin "github.com/vishnu-go/vishnu/adapters/gin"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// The Vishnu-on-gin column goes right after gin-contrib/sessions', so that
// the two sessions on gin sit side by side (and after gin-bare, the
// baseline of its untouched row).
func init() {
	i := slices.IndexFunc(libs, func(l lib) bool { return l.name == "gin" })
	libs = slices.Insert(libs, i+1, lib{"vishnu-gin", vishnuGinApp})
}

// vishnuGinApp serves the scenarios through Vishnu's gin middleware
// (adapters/gin) on the engine of ginApp, with the Manager of
// vishnuManager: the memory store or, for the cookie scenarios, the encrypted
// cookie store, and AutoSave, so that writes need no Save call.
func vishnuGinApp(tb testing.TB, sc scenario) (app, bool) {
	m := vishnuManager(tb, sc)
	mw := vishnugin.Middleware(m)
	handle := func(h gin.HandlerFunc) endpoint { return ginEngine(h, mw) }

	a := app{cookieName: m.CookieName()}
	a.seed = handle(func(c *gin.Context) {
		if err := vishnugin.Session(c).Set(userKey, userValue); err != nil {
			tb.Error(err)
		}
		writeOK(c.Writer)
	})
	a.probe = handle(func(c *gin.Context) {
		s := vishnugin.Session(c)
		user, _ := vishnu.Get[string](s, userKey)
		n, _ := vishnu.Get[int](s, countKey)
		writeProbe(c.Writer, user, n)
	})
	a.setKey = handle(func(c *gin.Context) {
		s := vishnugin.Session(c)
		if _, ok := vishnu.Get[string](s, userKey); !ok {
			c.String(http.StatusForbidden, "not logged in")
			return
		}
		time.Sleep(work)
		if err := s.Set(keyParam(c.Request.URL.RawQuery), 1); err != nil {
			tb.Error(err)
		}
		writeOK(c.Writer)
	})
	a.countKs = handle(func(c *gin.Context) {
		writeCount(c.Writer, countKeys(vishnugin.Session(c).Has))
	})

	n := 0
	switch sc {
	case untouched:
		a.run = handle(func(c *gin.Context) { writeOK(c.Writer) })
	case read, cookieRead:
		a.run = handle(func(c *gin.Context) {
			user, _ := vishnu.Get[string](vishnugin.Session(c), userKey)
			c.Writer.Write([]byte(user))
		})
	case write, cookieWrite:
		a.run = handle(func(c *gin.Context) {
			n++
			if err := vishnugin.Session(c).Set(countKey, n); err != nil {
				tb.Error(err)
			}
			writeOK(c.Writer)
		})
	case newSession:
		a.run = a.seed
	}
	return a, true
}
