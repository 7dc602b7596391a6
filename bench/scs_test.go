package bench

import (
	"net/http"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
)

// scsApp serves the scenarios through scs's LoadAndSave middleware and its
// memory store. scs keeps no data in cookies, so it has no cookie scenarios.
func scsApp(tb testing.TB, sc scenario) (app, bool) {
	if sc.inCookie() {
		return app{}, false
	}
	// The store's cleanup goroutine (one a minute) is left running: its
	// StopCleanup races with its start in scs v2.9.0 (the race detector
	// says so when a test stops it at once).
	sm := scs.New()
	sm.Store = memstore.New()
	return scsAppOn(sm, sc), true
}

// scsAppOn serves the server-side scenarios through sm, whatever its store.
func scsAppOn(sm *scs.SessionManager, sc scenario) app {
	handle := func(f http.HandlerFunc) endpoint { return endpoint{h: sm.LoadAndSave(f)} }

	a := app{cookieName: sm.Cookie.Name}
	a.seed = handle(func(w http.ResponseWriter, r *http.Request) {
		sm.Put(r.Context(), userKey, userValue)
		writeOK(w)
	})
	a.probe = handle(func(w http.ResponseWriter, r *http.Request) {
		writeProbe(w, sm.GetString(r.Context(), userKey), sm.GetInt(r.Context(), countKey))
	})
	a.setKey = handle(func(w http.ResponseWriter, r *http.Request) {
		if sm.GetString(r.Context(), userKey) == "" {
			http.Error(w, "not logged in", http.StatusForbidden)
			return
		}
		time.Sleep(work)
		sm.Put(r.Context(), keyParam(r.URL.RawQuery), 1)
		writeOK(w)
	})
	a.countKs = handle(func(w http.ResponseWriter, r *http.Request) {
		writeCount(w, countKeys(func(k string) bool { return sm.Exists(r.Context(), k) }))
	})

	n := 0
	switch sc {
	case untouched:
		a.run = handle(func(w http.ResponseWriter, r *http.Request) { writeOK(w) })
	case read:
		a.run = handle(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(sm.GetString(r.Context(), userKey)))
		})
	case write:
		a.run = handle(func(w http.ResponseWriter, r *http.Request) {
			n++
			sm.Put(r.Context(), countKey, n)
			writeOK(w)
		})
	case newSession:
		a.run = a.seed
	}
	return a
}
