package bench

import (
	"net/http"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	vishnuchi "github.com/vishnu-go/vishnu/adapters/chi"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// The chi columns go last: chi alone (the baseline of the untouched row),
// then Vishnu on chi.
func init() {
	libs = append(libs, lib{"chi-bare", chiBareApp}, lib{"vishnu-chi", vishnuChiApp})
}

// chiRouter returns a chi router serving GET / with h after the middleware
// mw, without chi's logging or recovery middleware.
func chiRouter(h http.HandlerFunc, mw ...func(http.Handler) http.Handler) endpoint {
	r := chi.NewRouter()
	r.Use(mw...)
	r.Get("/", h)
	return endpoint{h: r}
}

// chiBareApp is chi without a session middleware: chi's own cost, the
// baseline of the vishnu-chi untouched row.
func chiBareApp(tb testing.TB, sc scenario) (app, bool) {
	if sc != untouched {
		return app{}, false
	}
	return app{run: chiRouter(func(w http.ResponseWriter, r *http.Request) { writeOK(w) })}, true
}

// vishnuChiApp serves the scenarios through Vishnu's chi middleware
// (adapters/chi) with the Manager of vishnuManager: the memory store
// or, for the cookie scenarios, the encrypted cookie store, and AutoSave.
func vishnuChiApp(tb testing.TB, sc scenario) (app, bool) {
	m := vishnuManager(tb, sc)
	mw := vishnuchi.Middleware(m)
	handle := func(h http.HandlerFunc) endpoint { return chiRouter(h, mw) }
	sess := func(r *http.Request) *vishnu.Session { return vishnu.FromContext(r.Context()) }

	a := app{cookieName: m.CookieName()}
	a.seed = handle(func(w http.ResponseWriter, r *http.Request) {
		if err := sess(r).Set(userKey, userValue); err != nil {
			tb.Error(err)
		}
		writeOK(w)
	})
	a.probe = handle(func(w http.ResponseWriter, r *http.Request) {
		user, _ := vishnu.Get[string](sess(r), userKey)
		n, _ := vishnu.Get[int](sess(r), countKey)
		writeProbe(w, user, n)
	})
	a.setKey = handle(func(w http.ResponseWriter, r *http.Request) {
		s := sess(r)
		if _, ok := vishnu.Get[string](s, userKey); !ok {
			http.Error(w, "not logged in", http.StatusForbidden)
			return
		}
		time.Sleep(work)
		if err := s.Set(keyParam(r.URL.RawQuery), 1); err != nil {
			tb.Error(err)
		}
		writeOK(w)
	})
	a.countKs = handle(func(w http.ResponseWriter, r *http.Request) {
		writeCount(w, countKeys(sess(r).Has))
	})

	n := 0
	switch sc {
	case untouched:
		a.run = handle(func(w http.ResponseWriter, r *http.Request) { writeOK(w) })
	case read, cookieRead:
		a.run = handle(func(w http.ResponseWriter, r *http.Request) {
			user, _ := vishnu.Get[string](sess(r), userKey)
			w.Write([]byte(user))
		})
	case write, cookieWrite:
		a.run = handle(func(w http.ResponseWriter, r *http.Request) {
			n++
			if err := sess(r).Set(countKey, n); err != nil {
				tb.Error(err)
			}
			writeOK(w)
		})
	case newSession:
		a.run = a.seed
	}
	return a, true
}
