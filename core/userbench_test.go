package vishnu_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// BenchmarkUserEnding measures what ending a user's sessions without an
// index costs an ordinary request that reads its session: on the cookie
// store, a session not logged in with and without Config.UserStamp (the
// same: the stamp is asked only of bound sessions) and a logged-in one
// (one call of UserStamp and one HMAC); on the memory store, which has an
// index, a logged-in session against one that is not (the same).
func BenchmarkUserEnding(b *testing.B) {
	stamp := func(context.Context, string) ([]byte, error) { return []byte("2030-01-01T12:00:00Z"), nil }
	cases := []struct {
		name   string
		store  func() vishnu.Store
		stamp  bool
		logged bool
	}{
		{"cookie/unbound", vishnu.NewCookieStore, false, false},
		{"cookie/unbound/UserStamp", vishnu.NewCookieStore, true, false},
		{"cookie/bound/UserStamp", vishnu.NewCookieStore, true, true},
		{"memory/unbound", func() vishnu.Store { return vishnu.NewMemoryStore() }, false, false},
		{"memory/bound", func() vishnu.Store { return vishnu.NewMemoryStore() }, false, true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			cfg := vishnu.Config{
				Store:    c.store(),
				Secret:   testSecret,
				AutoSave: true,
				Cookie:   vishnu.CookieConfig{Insecure: true},
				Logger:   slog.New(slog.DiscardHandler),
			}
			if c.stamp {
				cfg.UserStamp = stamp
			}
			if _, ok := cfg.Store.(*vishnu.MemoryStore); !ok {
				cfg.EncryptKey = []byte("an encryption key of 32 bytes!!!")
			}
			m := newManager(b, cfg)
			h := writeOne
			if c.logged {
				h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if err := vishnu.FromContext(r.Context()).Login("ann", "bench"); err != nil {
						b.Fatal(err)
					}
					writeOne(w, r)
				})
			}
			rec := httptest.NewRecorder()
			m.Handler(h).ServeHTTP(rec, httptest.NewRequest("GET", "/?ann", nil))
			cs := rec.Result().Cookies()
			if len(cs) != 1 {
				b.Fatalf("no session cookie: %v", rec.Header())
			}
			runRequests(b, m.Handler(readOne), cs[0], "")
		})
	}
}
