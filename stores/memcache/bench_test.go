package memcachestore

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// Benchmarks against the first node of VISHNU_MEMCACHE_ADDRS, over
// loopback: each operation is one or two round trips.
//
//	go test -run='^$' -bench=. -benchmem

func benchStore(b *testing.B) (*Store, string, []byte) {
	b.Helper()
	s := newTestStore(b, testAddrs(b)[:1])
	id := randomID(b)
	rec := vishnu.EncodeRecord(map[string][]byte{
		"\x00created": []byte("1714560000"),
		"user":        []byte("alice@example.com"),
		"cart":        []byte(`{"items":[{"sku":"A-1","qty":2},{"sku":"B-7","qty":1}]}`),
		"csrf":        []byte("5f1c0d4e9a7b3c2d1e0f5a6b7c8d9e0f"),
	})
	if err := s.Save(context.Background(), id, rec, time.Now().Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	return s, id, rec
}

func BenchmarkLoad(b *testing.B) {
	s, id, _ := benchStore(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.Load(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSave(b *testing.B) {
	s, id, rec := benchStore(b)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	for b.Loop() {
		if err := s.Save(ctx, id, rec, exp); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCommit is one request's change: gets, merge, cas.
func BenchmarkCommit(b *testing.B) {
	s, id, _ := benchStore(b)
	ctx := context.Background()
	c := &vishnu.Change{
		Set:     []vishnu.Field{{Key: "last", Value: []byte("2026-05-01T12:00:00Z")}},
		Expires: time.Now().Add(time.Hour),
	}
	for b.Loop() {
		if err := s.Commit(ctx, id, c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCommitParallel has every goroutine commit to the same session
// without pause, so compare-and-swap conflicts and retries are part of the
// cost. Under such sustained contention some commits exhaust their retries:
// their share is reported as giveups/op.
func BenchmarkCommitParallel(b *testing.B) {
	s, id, _ := benchStore(b)
	ctx := context.Background()
	c := &vishnu.Change{
		Set:     []vishnu.Field{{Key: "last", Value: []byte("2026-05-01T12:00:00Z")}},
		Expires: time.Now().Add(time.Hour),
	}
	var giveups atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			err := s.Commit(ctx, id, c)
			if errors.Is(err, ErrTooMuchContention) {
				giveups.Add(1)
			} else if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(giveups.Load())/float64(b.N), "giveups/op")
}

func BenchmarkTouch(b *testing.B) {
	s, id, _ := benchStore(b)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	for b.Loop() {
		if err := s.Touch(ctx, id, exp); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRequestRead is a request that reads its session through core's
// middleware, for a session not logged in and a logged-in one, whose
// request also reads the user's generation: what ending a user's sessions
// without an index costs.
func BenchmarkRequestRead(b *testing.B) {
	for _, login := range []bool{false, true} {
		b.Run(map[bool]string{false: "unbound", true: "bound"}[login], func(b *testing.B) {
			m, err := vishnu.New(vishnu.Config{
				Store:    newTestStore(b, testAddrs(b)[:1]),
				Secret:   []byte("a secret of at least 32 bytes!!!"),
				AutoSave: true,
				Cookie:   vishnu.CookieConfig{Insecure: true},
				Logger:   slog.New(slog.DiscardHandler),
			})
			if err != nil {
				b.Fatal(err)
			}
			setup := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s := vishnu.FromContext(r.Context())
				if err := s.Set("user", "ann"); err != nil {
					b.Fatal(err)
				}
				if login {
					if err := s.Login("ann", "bench"); err != nil {
						b.Fatal(err)
					}
				}
			}))
			rec := httptest.NewRecorder()
			setup.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			cs := rec.Result().Cookies()
			if len(cs) != 1 {
				b.Fatalf("no session cookie: %v", rec.Header())
			}
			read := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				v, _ := vishnu.Get[string](vishnu.FromContext(r.Context()), "user")
				io.WriteString(w, v)
			}))
			req := httptest.NewRequest("GET", "/", nil)
			req.AddCookie(cs[0])
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				read.ServeHTTP(rec, req)
				if rec.Body.String() != "ann" {
					b.Fatalf("read %q", rec.Body.String())
				}
			}
		})
	}
}
