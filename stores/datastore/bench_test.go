package datastorestore_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
	datastorestore "github.com/vishnu-go/vishnu/stores/datastore"
)

// The benchmarks run against the shared emulator on loopback, one call at a
// time, and report RPCs per operation as counted by the client's gRPC
// interceptor. The record is a typical session's: five fields, about 150
// bytes. The emulator is a single JVM, far from the Datastore's latencies
// in either direction: compare the RPC counts and allocations, and the
// times only with each other.

func benchRecord() []byte {
	return vishnu.EncodeRecord(map[string][]byte{
		"\x00created": {0x80, 0xa4, 0xd8, 0x9c, 0x0c},
		"user":        []byte("\x01ada@example.com"),
		"role":        []byte("\x01admin"),
		"csrf":        []byte("\x01kV8yNf0bq1hA3u9rWl2eZx7sTcPmQdGo5iJvYtRnXaE"),
		"cart":        []byte(`{"items":[{"sku":"A-1","qty":2},{"sku":"B-7","qty":1}]}`),
	})
}

// benchOp runs op b.N times on a fresh store holding a typical record under
// "s", and reports its RPCs per call.
func benchOp(b *testing.B, op func(ctx context.Context, s *datastorestore.Store, i int) error) {
	c, counter := newClient(b)
	s, _ := newStore(b, c)
	ctx := context.Background()
	if err := s.Save(ctx, "s", benchRecord(), time.Now().Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	before := counter.snapshot().total()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := op(ctx, s, i); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(counter.snapshot().total()-before)/float64(b.N), "RPCs/op")
}

func BenchmarkLoad(b *testing.B) {
	benchOp(b, func(ctx context.Context, s *datastorestore.Store, _ int) error {
		_, err := s.Load(ctx, "s")
		return err
	})
}

func BenchmarkSave(b *testing.B) {
	rec := benchRecord()
	exp := time.Now().Add(time.Hour)
	benchOp(b, func(ctx context.Context, s *datastorestore.Store, _ int) error {
		return s.Save(ctx, "s", rec, exp)
	})
}

// BenchmarkCommit commits what a request that changes one key commits: one
// field set, the expiry moved.
func BenchmarkCommit(b *testing.B) {
	c := &vishnu.Change{Set: []vishnu.Field{{Key: "visits"}}, Expires: time.Now().Add(time.Hour)}
	benchOp(b, func(ctx context.Context, s *datastorestore.Store, i int) error {
		c.Set[0].Value = strconv.AppendInt(c.Set[0].Value[:0], int64(i), 10)
		return s.Commit(ctx, "s", c)
	})
}

func BenchmarkTouch(b *testing.B) {
	exp := time.Now().Add(time.Hour)
	benchOp(b, func(ctx context.Context, s *datastorestore.Store, i int) error {
		return s.Touch(ctx, "s", exp.Add(time.Duration(i)*time.Millisecond))
	})
}

func BenchmarkDelete(b *testing.B) {
	benchOp(b, func(ctx context.Context, s *datastorestore.Store, _ int) error {
		return s.Delete(ctx, "s")
	})
}

// BenchmarkCleanup deletes 100 dormant sessions per operation (saved
// before each, with the timer stopped), among 100 live ones.
func BenchmarkCleanup(b *testing.B) {
	c, counter := newClient(b)
	s, _ := newStore(b, c)
	ctx := context.Background()
	rec := benchRecord()
	for i := range 100 {
		if err := s.Save(ctx, fmt.Sprintf("live-%d", i), rec, time.Now().Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	rpcs := 0
	for n := 0; n < b.N; n++ {
		b.StopTimer()
		for i := range 100 {
			if err := s.Save(ctx, fmt.Sprintf("dormant-%d-%d", n, i), rec, time.Now().Add(-time.Hour)); err != nil {
				b.Fatal(err)
			}
		}
		before := counter.snapshot().total()
		b.StartTimer()
		finished, err := s.Cleanup(ctx, 0, 100)
		if err != nil || !finished {
			b.Fatalf("Cleanup: %v, %v", finished, err)
		}
		b.StopTimer()
		rpcs += counter.snapshot().total() - before
		b.StartTimer()
	}
	b.ReportMetric(float64(rpcs)/float64(b.N), "RPCs/op")
}

// BenchmarkAddUserSession adds (replaces) an entry of the index of sessions
// per user, as Session.Login does.
func BenchmarkAddUserSession(b *testing.B) {
	info := vishnu.EncodeRecord(map[string][]byte{"label": []byte("Firefox on Linux"), "at": {0x80, 0xa4, 0xd8, 0x9c, 0x0c}})
	exp := time.Now().Add(time.Hour)
	benchOp(b, func(ctx context.Context, s *datastorestore.Store, i int) error {
		return s.AddUserSession(ctx, "ada", "s", info, exp)
	})
}

// BenchmarkUserSessions lists a user with three sessions, as
// Manager.UserSessions does.
func BenchmarkUserSessions(b *testing.B) {
	c, counter := newClient(b)
	s, _ := newStore(b, c)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	for _, id := range []string{"s1", "s2", "s3"} {
		// The record first, as Login writes it: listing checks it.
		if err := s.Save(ctx, id, vishnu.EncodeRecord(nil), exp); err != nil {
			b.Fatal(err)
		}
		if err := s.AddUserSession(ctx, "ada", id, []byte("Firefox on Linux"), exp); err != nil {
			b.Fatal(err)
		}
	}
	before := counter.snapshot().total()
	b.ReportAllocs()
	for b.Loop() {
		m, err := s.UserSessions(ctx, "ada")
		if err != nil || len(m) != 3 {
			b.Fatalf("UserSessions: %d entries, %v; want 3", len(m), err)
		}
	}
	b.ReportMetric(float64(counter.snapshot().total()-before)/float64(b.N), "RPCs/op")
}
