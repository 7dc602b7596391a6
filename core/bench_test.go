package vishnu_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// The middleware benchmarks run one request through the middleware into an
// httptest recorder, the shape used for the peers in the bench module.

func benchManager(b *testing.B, store vishnu.Store) *vishnu.Manager {
	cfg := vishnu.Config{
		Store:    store,
		Secret:   testSecret,
		AutoSave: true,
		Cookie:   vishnu.CookieConfig{Insecure: true},
		Logger:   slog.New(slog.DiscardHandler),
	}
	if _, ok := store.(*vishnu.MemoryStore); !ok {
		cfg.EncryptKey = []byte("an encryption key of 32 bytes!!!")
	}
	return newManager(b, cfg)
}

var (
	untouched = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})
	readOne = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := vishnu.Get[string](vishnu.FromContext(r.Context()), "user")
		io.WriteString(w, v)
	})
	writeOne = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vishnu.FromContext(r.Context()).Set("user", r.URL.RawQuery)
		io.WriteString(w, "ok")
	})
)

// sessionCookie returns the cookie of a session holding user=ann.
func sessionCookie(b *testing.B, m *vishnu.Manager) *http.Cookie {
	rec := httptest.NewRecorder()
	m.Handler(writeOne).ServeHTTP(rec, httptest.NewRequest("GET", "/?ann", nil))
	cs := rec.Result().Cookies()
	if len(cs) != 1 {
		b.Fatalf("no session cookie: %v", rec.Header())
	}
	return cs[0]
}

func runRequests(b *testing.B, h http.Handler, c *http.Cookie, query string) {
	req := httptest.NewRequest("GET", "/?"+query, nil)
	if c != nil {
		req.AddCookie(c)
	}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}

func BenchmarkMiddleware(b *testing.B) {
	for _, kind := range []string{"memory", "cookie"} {
		newStore := func() vishnu.Store { return vishnu.NewMemoryStore() }
		if kind == "cookie" {
			newStore = vishnu.NewCookieStore
		}
		b.Run("bare/store="+kind, func(b *testing.B) {
			runRequests(b, untouched, nil, "")
		})
		b.Run("untouched/store="+kind, func(b *testing.B) {
			m := benchManager(b, newStore())
			runRequests(b, m.Handler(untouched), sessionCookie(b, m), "")
		})
		b.Run("read/store="+kind, func(b *testing.B) {
			m := benchManager(b, newStore())
			runRequests(b, m.Handler(readOne), sessionCookie(b, m), "")
		})
		b.Run("write/store="+kind, func(b *testing.B) {
			m := benchManager(b, newStore())
			// A different value each time would not change the cost; the
			// same value must still be written (Set always counts as a change).
			runRequests(b, m.Handler(writeOne), sessionCookie(b, m), "bob")
		})
		b.Run("new/store="+kind, func(b *testing.B) {
			m := benchManager(b, newStore())
			runRequests(b, m.Handler(writeOne), nil, "bob")
		})
	}
}

// BenchmarkHugeCookieHeader is a request with 1 MiB of same-name cookies.
func BenchmarkHugeCookieHeader(b *testing.B) {
	m := benchManager(b, vishnu.NewMemoryStore())
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Cookie", strings.Repeat("vishnu=x; ", 1<<20/10))
	h := m.Handler(readOne)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

// BenchmarkUserIndex is what sessions per user cost: a login with Login
// beside one with Regenerate, and an ordinary request (a write) on a
// session bound to a user beside one on an unbound session, which must
// cost the same.
func BenchmarkUserIndex(b *testing.B) {
	m := benchManager(b, vishnu.NewMemoryStore())
	// A login on a session that holds a value, as a login form's would.
	login := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		err := s.Set("user", "ann")
		switch {
		case err != nil:
		case r.URL.RawQuery == "login":
			err = s.Login("ann", "bench")
		default:
			err = s.Regenerate()
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	b.Run("login=Regenerate", func(b *testing.B) { runRequests(b, m.Handler(login), nil, "regenerate") })
	b.Run("login=Login", func(b *testing.B) { runRequests(b, m.Handler(login), nil, "login") })
	b.Run("write/unbound", func(b *testing.B) { runRequests(b, m.Handler(writeOne), sessionCookie(b, m), "bob") })
	b.Run("write/bound", func(b *testing.B) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/?login", nil)
		req.AddCookie(sessionCookie(b, m))
		m.Handler(login).ServeHTTP(rec, req)
		cs := rec.Result().Cookies()
		if len(cs) != 1 {
			b.Fatal("no cookie after Login")
		}
		runRequests(b, m.Handler(writeOne), cs[0], "bob")
	})
}
