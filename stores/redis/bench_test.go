package redisstore_test

import (
	"bytes"
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
	benchOpOn(b, benchRecord(), op)
}

// benchOpOn is benchOp on a store holding the record of fields under "s".
func benchOpOn(b *testing.B, fields map[string][]byte, op func(ctx context.Context, f *fixture, i int) error) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			c := be.newClient(b)
			f := newStore(b, c)
			ctx := context.Background()
			if err := f.Preload(ctx); err != nil {
				b.Fatal(err)
			}
			if err := f.Save(ctx, "s", vishnu.EncodeRecord(fields), time.Now().Add(time.Hour)); err != nil {
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

// BenchmarkCommitSize commits one key, set to a new value of the same size,
// into a session of 1 or 100 keys holding values of 64 B or 4 KiB each: a
// store that writes only what changed costs about the same with 1 key or
// 100.
func BenchmarkCommitSize(b *testing.B) {
	for _, keys := range []int{1, 100} {
		for _, size := range []int{64, 4 << 10} {
			b.Run("keys="+strconv.Itoa(keys)+"/value="+strconv.Itoa(size), func(b *testing.B) {
				fields := make(map[string][]byte, keys)
				for k := range keys {
					fields["k"+strconv.Itoa(k)] = bytes.Repeat([]byte("a"), size)
				}
				values := [2][]byte{bytes.Repeat([]byte("b"), size), bytes.Repeat([]byte("c"), size)}
				c := &vishnu.Change{Set: []vishnu.Field{{Key: "k0"}}, Expires: time.Now().Add(time.Hour)}
				benchOpOn(b, fields, func(ctx context.Context, f *fixture, i int) error {
					c.Set[0].Value = values[i%2]
					return f.Commit(ctx, "s", c)
				})
			})
		}
	}
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
