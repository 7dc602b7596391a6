package bench

import (
	"net/http"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// vishnuApp serves the scenarios through Vishnu's middleware, with the
// memory store or, for the cookie scenarios, the cookie store (encrypted).
// AutoSave persists writes without a Save call.
func vishnuApp(tb testing.TB, sc scenario) (app, bool) {
	return vishnuAppOn(tb, sc, vishnuManager(tb, sc)), true
}

// vishnuAppOn serves the scenarios through m, whatever its store.
func vishnuAppOn(tb testing.TB, sc scenario, m *vishnu.Manager) app {
	handle := func(f http.HandlerFunc) endpoint { return endpoint{h: m.Handler(f)} }

	a := app{cookieName: m.CookieName()}
	a.seed = handle(func(w http.ResponseWriter, r *http.Request) {
		if err := vishnu.FromContext(r.Context()).Set(userKey, userValue); err != nil {
			tb.Error(err)
		}
		writeOK(w)
	})
	a.probe = handle(func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		user, _ := vishnu.Get[string](s, userKey)
		n, _ := vishnu.Get[int](s, countKey)
		writeProbe(w, user, n)
	})
	a.setKey = handle(func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
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
		writeCount(w, countKeys(vishnu.FromContext(r.Context()).Has))
	})

	n := 0
	switch sc {
	case untouched:
		a.run = handle(func(w http.ResponseWriter, r *http.Request) { writeOK(w) })
	case read, cookieRead:
		a.run = handle(func(w http.ResponseWriter, r *http.Request) {
			user, _ := vishnu.Get[string](vishnu.FromContext(r.Context()), userKey)
			w.Write([]byte(user))
		})
	case write, cookieWrite:
		a.run = handle(func(w http.ResponseWriter, r *http.Request) {
			n++
			if err := vishnu.FromContext(r.Context()).Set(countKey, n); err != nil {
				tb.Error(err)
			}
			writeOK(w)
		})
	case newSession:
		a.run = a.seed
	}
	return a
}

// vishnuManager is the Manager every Vishnu row uses: the memory store or,
// for the cookie scenarios, the encrypted cookie store, and AutoSave, so
// that writes need no Save call.
func vishnuManager(tb testing.TB, sc scenario) *vishnu.Manager {
	cfg := vishnu.Config{
		Store:    vishnu.NewMemoryStore(),
		Secret:   signKey,
		AutoSave: true,
		Cookie:   vishnu.CookieConfig{Insecure: true}, // the lost-update check runs on plain HTTP
	}
	if sc.inCookie() {
		cfg.Store, cfg.EncryptKey = vishnu.NewCookieStore(), encryptKey
	}
	m, err := vishnu.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}
