package bench

import (
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/sessions"
	"github.com/quasoft/memstore"
)

const gorillaCookie = "session"

// gorillaStore returns the gorilla/sessions store for sc: CookieStore (signed
// and encrypted) for the cookie scenarios; otherwise quasoft/memstore, since
// gorilla/sessions has no memory store of its own. quasoft/memstore is the
// gorilla store that gin-contrib/sessions' memstore wraps, and it serves the
// echo rows too. Cookies get HttpOnly and SameSite=Lax, as Vishnu's do.
func gorillaStore(sc scenario) sessions.Store {
	var opts *sessions.Options
	var store sessions.Store
	if sc.inCookie() {
		s := sessions.NewCookieStore(signKey, encryptKey)
		store, opts = s, s.Options
	} else {
		s := memstore.NewMemStore(signKey)
		store, opts = s, s.Options
	}
	opts.HttpOnly, opts.SameSite = true, http.SameSiteLaxMode
	return store
}

// gorillaApp serves the scenarios with gorilla/sessions called from plain
// net/http handlers: it has no middleware, so an untouched request costs
// nothing and is the bare row.
func gorillaApp(tb testing.TB, sc scenario) (app, bool) {
	if sc == untouched {
		return app{}, false
	}
	store := gorillaStore(sc)
	get := func(r *http.Request) *sessions.Session {
		s, err := store.Get(r, gorillaCookie)
		if err != nil {
			tb.Errorf("gorilla: %v", err)
		}
		return s
	}
	save := func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		if err := s.Save(r, w); err != nil {
			tb.Errorf("gorilla: %v", err)
		}
	}
	handle := func(f http.HandlerFunc) endpoint { return endpoint{h: f} }

	a := app{cookieName: gorillaCookie}
	a.seed = handle(func(w http.ResponseWriter, r *http.Request) {
		s := get(r)
		s.Values[userKey] = userValue
		save(w, r, s)
		writeOK(w)
	})
	a.probe = handle(func(w http.ResponseWriter, r *http.Request) {
		s := get(r)
		user, _ := s.Values[userKey].(string)
		n, _ := s.Values[countKey].(int)
		writeProbe(w, user, n)
	})
	a.setKey = handle(func(w http.ResponseWriter, r *http.Request) {
		s := get(r)
		if _, ok := s.Values[userKey].(string); !ok {
			http.Error(w, "not logged in", http.StatusForbidden)
			return
		}
		time.Sleep(work)
		s.Values[keyParam(r.URL.RawQuery)] = 1
		save(w, r, s)
		writeOK(w)
	})
	a.countKs = handle(func(w http.ResponseWriter, r *http.Request) {
		s := get(r)
		writeCount(w, countKeys(func(k string) bool { _, ok := s.Values[k]; return ok }))
	})

	n := 0
	switch sc {
	case read, cookieRead:
		a.run = handle(func(w http.ResponseWriter, r *http.Request) {
			user, _ := get(r).Values[userKey].(string)
			w.Write([]byte(user))
		})
	case write, cookieWrite:
		a.run = handle(func(w http.ResponseWriter, r *http.Request) {
			n++
			s := get(r)
			s.Values[countKey] = n
			save(w, r, s)
			writeOK(w)
		})
	case newSession:
		a.run = a.seed
	}
	return a, true
}
