package memcachestore

import (
	"context"
	"errors"
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
