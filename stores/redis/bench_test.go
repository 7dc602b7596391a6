package redisstore_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// The benchmarks run against the servers of the tests, on loopback, and
// report round trips per operation (trips/op) as counted by a go-redis hook.
// The record is a typical session's: five fields, about 150 bytes.

func benchRecord() map[string][]byte {
	return map[string][]byte{
		"\x00created": {0x80, 0xa4, 0xd8, 0x9c, 0x0c},
		"user":        []byte("\x01ada@example.com"),
		"role":        []byte("\x01admin"),
		"csrf":        []byte("\x01kV8yNf0bq1hA3u9rWl2eZx7sTcPmQdGo5iJvYtRnXaE"),
		"cart":        []byte(`{"items":[{"sku":"A-1","qty":2},{"sku":"B-7","qty":1}]}`),
	}
}

// benchOp runs op b.N times as a sub-benchmark per Redis deployment, on a
// fresh store holding a typical record under "s", with the commit script
// preloaded, and reports its round trips per call.
func benchOp(b *testing.B, op func(ctx context.Context, f *fixture, i int) error) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			c := be.newClient(b)
			f := newStore(b, c)
			ctx := context.Background()
			if err := f.Preload(ctx); err != nil {
				b.Fatal(err)
			}
			if err := f.Save(ctx, "s", vishnu.EncodeRecord(benchRecord()), time.Now().Add(time.Hour)); err != nil {
				b.Fatal(err)
			}
			trips := new(tripCounter)
			c.AddHook(trips)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				if err := op(ctx, f, i); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(trips.n.Load())/float64(b.N), "trips/op")
		})
	}
}

func BenchmarkLoad(b *testing.B) {
	benchOp(b, func(ctx context.Context, f *fixture, _ int) error {
		_, err := f.Load(ctx, "s")
		return err
	})
}

// BenchmarkCommit commits what a request that changes one key commits: one
// field set, the expiry moved.
func BenchmarkCommit(b *testing.B) {
	c := &vishnu.Change{Set: []vishnu.Field{{Key: "visits"}}, Expires: time.Now().Add(time.Hour)}
	benchOp(b, func(ctx context.Context, f *fixture, i int) error {
		c.Set[0].Value = strconv.AppendInt(c.Set[0].Value[:0], int64(i), 10)
		return f.Commit(ctx, "s", c)
	})
}

func BenchmarkSave(b *testing.B) {
	rec := vishnu.EncodeRecord(benchRecord())
	exp := time.Now().Add(time.Hour)
	benchOp(b, func(ctx context.Context, f *fixture, _ int) error {
		return f.Save(ctx, "s", rec, exp)
	})
}

func BenchmarkTouch(b *testing.B) {
	exp := time.Now().Add(time.Hour)
	benchOp(b, func(ctx context.Context, f *fixture, i int) error {
		return f.Touch(ctx, "s", exp.Add(time.Duration(i)*time.Millisecond))
	})
}
