package pgstore_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// The benchmarks run against the PostgreSQL of the tests, on loopback, one
// call at a time, and report round trips per operation (trips/op) as
// counted on the pool's connection. The record is a typical session's:
// five fields, about 150 bytes. Their connection runs with
// synchronous_commit off, so that a write's time is the statement's work
// rather than the wait for the disk to flush the log, which every write
// pays alike and which on a shared machine varies more than all the rest.

func benchRecord() map[string][]byte {
	return map[string][]byte{
		"\x00created": {0x80, 0xa4, 0xd8, 0x9c, 0x0c},
		"user":        []byte("\x01ada@example.com"),
		"role":        []byte("\x01admin"),
		"csrf":        []byte("\x01kV8yNf0bq1hA3u9rWl2eZx7sTcPmQdGo5iJvYtRnXaE"),
		"cart":        []byte(`{"items":[{"sku":"A-1","qty":2},{"sku":"B-7","qty":1}]}`),
	}
}

// benchOp runs op b.N times on a fresh store holding rec under "s", and
// reports its round trips per call.
func benchOp(b *testing.B, rec map[string][]byte, op func(ctx context.Context, f *fixture, i int) error) {
	trips := new(tripCounter)
	pool := newPool(b, serverURL(b), trips.configure, func(c *pgxpool.Config) {
		c.MaxConns = 1
		c.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
	})
	f := newStore(b, pool)
	ctx := context.Background()
	if err := f.Save(ctx, "s", vishnu.EncodeRecord(rec), time.Now().Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	if err := op(ctx, f, 0); err != nil { // prepares the statement
		b.Fatal(err)
	}
	before := trips.n.Load()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := op(ctx, f, i); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(trips.n.Load()-before)/float64(b.N), "trips/op")
}

func BenchmarkLoad(b *testing.B) {
	benchOp(b, benchRecord(), func(ctx context.Context, f *fixture, _ int) error {
		_, err := f.Load(ctx, "s")
		return err
	})
}

// BenchmarkCommit commits what a request that changes one key commits: one
// field set, the expiry moved.
func BenchmarkCommit(b *testing.B) {
	benchOp(b, benchRecord(), commitOneKey(8))
}

// commitOneKey returns an op that sets one key to a value of size bytes.
func commitOneKey(size int) func(ctx context.Context, f *fixture, i int) error {
	c := &vishnu.Change{Set: []vishnu.Field{{Key: "visits", Value: make([]byte, size)}}, Expires: time.Now().Add(time.Hour)}
	return func(ctx context.Context, f *fixture, i int) error {
		copy(c.Set[0].Value, strconv.Itoa(i))
		return f.Commit(ctx, "s", c)
	}
}

// BenchmarkCommitSessionSize writes one key into sessions of 1 and 100
// keys, with values of 64 B and 4 KiB: with a row per field, the cost
// follows the change, not the session, so the two sizes cost about the
// same.
func BenchmarkCommitSessionSize(b *testing.B) {
	for _, size := range []int{64, 4096} {
		for _, keys := range []int{1, 100} {
			b.Run("value="+strconv.Itoa(size)+"/keys="+strconv.Itoa(keys), func(b *testing.B) {
				rec := make(map[string][]byte, keys)
				for k := range keys {
					rec["k"+strconv.Itoa(k)] = make([]byte, size)
				}
				rec["visits"] = make([]byte, size) // one of the keys
				if keys == 1 {
					rec = map[string][]byte{"visits": make([]byte, size)}
				}
				benchOp(b, rec, commitOneKey(size))
			})
		}
	}
}

func BenchmarkSave(b *testing.B) {
	rec := vishnu.EncodeRecord(benchRecord())
	exp := time.Now().Add(time.Hour)
	benchOp(b, benchRecord(), func(ctx context.Context, f *fixture, _ int) error {
		return f.Save(ctx, "s", rec, exp)
	})
}

func BenchmarkTouch(b *testing.B) {
	exp := time.Now().Add(time.Hour)
	benchOp(b, benchRecord(), func(ctx context.Context, f *fixture, _ int) error {
		return f.Touch(ctx, "s", exp)
	})
}

// BenchmarkCommitSizeRatio commits one key into a session of 1 key and one
// of 100, alternately, and reports the ratio of their total times
// (big/small): alternating cancels out what the machine's other work adds
// to both, which on a shared machine is more than the difference.
func BenchmarkCommitSizeRatio(b *testing.B) {
	for _, size := range []int{64, 4096} {
		b.Run("value="+strconv.Itoa(size), func(b *testing.B) {
			pool := newPool(b, serverURL(b), func(c *pgxpool.Config) {
				c.MaxConns = 1
				c.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
			})
			f := newStore(b, pool)
			ctx := context.Background()
			big := map[string][]byte{"visits": make([]byte, size)}
			for k := range 99 {
				big["k"+strconv.Itoa(k)] = make([]byte, size)
			}
			for id, rec := range map[string]map[string][]byte{"small": {"visits": make([]byte, size)}, "big": big} {
				if err := f.Save(ctx, id, vishnu.EncodeRecord(rec), time.Now().Add(time.Hour)); err != nil {
					b.Fatal(err)
				}
			}
			c := &vishnu.Change{Set: []vishnu.Field{{Key: "visits", Value: make([]byte, size)}}, Expires: time.Now().Add(time.Hour)}
			var took [2]time.Duration
			i := 0
			for b.Loop() {
				i++
				copy(c.Set[0].Value, strconv.Itoa(i))
				for j, id := range []string{"small", "big"} {
					start := time.Now()
					if err := f.Commit(ctx, id, c); err != nil {
						b.Fatal(err)
					}
					took[j] += time.Since(start)
				}
			}
			b.ReportMetric(float64(took[1])/float64(took[0]), "big/small")
		})
	}
}
