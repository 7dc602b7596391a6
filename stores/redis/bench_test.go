package redisstore_test

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
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

// A benchCase is an operation benchmarked on a store holding the record of
// fields under "s"; op's i counts its calls from 1.
type benchCase struct {
	name   string
	fields map[string][]byte
	op     func(ctx context.Context, f *fixture, i int) error
}

// bench runs bc b.N times as a sub-benchmark per Redis deployment, on a
// fresh store with the commit script preloaded, and reports its round trips
// per call.
func bench(b *testing.B, bc benchCase) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			c := be.newClient(b)
			f := benchStore(b, c, bc)
			trips := new(tripCounter)
			c.AddHook(trips)
			runCase(b, f, bc)
			b.ReportMetric(float64(trips.n.Load())/float64(b.N), "trips/op")
		})
	}
}

// benchStore returns a store on c holding bc's record, with the commit
// script preloaded.
func benchStore(b *testing.B, c redis.UniversalClient, bc benchCase) *fixture {
	f := newStore(b, c)
	ctx := context.Background()
	if err := f.Preload(ctx); err != nil {
		b.Fatal(err)
	}
	if err := f.Save(ctx, "s", vishnu.EncodeRecord(bc.fields), time.Now().Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	return f
}

// runCase runs bc's operation b.N times.
func runCase(b *testing.B, f *fixture, bc benchCase) {
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := bc.op(ctx, f, i); err != nil {
			b.Fatal(err)
		}
	}
}

func loadCase() benchCase {
	return benchCase{"Load", benchRecord(), func(ctx context.Context, f *fixture, _ int) error {
		_, err := f.Load(ctx, "s")
		return err
	}}
}

// commitCase commits what a request that changes one key commits: one field
// set, the expiry moved.
func commitCase() benchCase {
	c := &vishnu.Change{Set: []vishnu.Field{{Key: "visits"}}, Expires: time.Now().Add(time.Hour)}
	return benchCase{"Commit", benchRecord(), func(ctx context.Context, f *fixture, i int) error {
		c.Set[0].Value = strconv.AppendInt(c.Set[0].Value[:0], int64(i), 10)
		return f.Commit(ctx, "s", c)
	}}
}

// commitSizeCases commit one key, set to a new value of the same size, into
// a session of 1 or 100 keys holding values of 64 B or 4 KiB each: a store
// that writes only what changed costs about the same with 1 key or 100.
func commitSizeCases() []benchCase {
	var cases []benchCase
	for _, keys := range []int{1, 100} {
		for _, size := range []int{64, 4 << 10} {
			fields := make(map[string][]byte, keys)
			for k := range keys {
				fields["k"+strconv.Itoa(k)] = bytes.Repeat([]byte("a"), size)
			}
			values := [2][]byte{bytes.Repeat([]byte("b"), size), bytes.Repeat([]byte("c"), size)}
			c := &vishnu.Change{Set: []vishnu.Field{{Key: "k0"}}, Expires: time.Now().Add(time.Hour)}
			cases = append(cases, benchCase{"keys=" + strconv.Itoa(keys) + "/value=" + strconv.Itoa(size), fields,
				func(ctx context.Context, f *fixture, i int) error {
					c.Set[0].Value = values[i%2]
					return f.Commit(ctx, "s", c)
				}})
		}
	}
	return cases
}

// saveCase saves a new session, as the first request that sets a key does.
func saveCase() benchCase {
	rec := vishnu.EncodeRecord(benchRecord())
	exp := time.Now().Add(time.Hour)
	return benchCase{"Save", benchRecord(), func(ctx context.Context, f *fixture, i int) error {
		return f.Save(ctx, "n"+strconv.Itoa(i), rec, exp)
	}}
}

func touchCase() benchCase {
	exp := time.Now().Add(time.Hour)
	return benchCase{"Touch", benchRecord(), func(ctx context.Context, f *fixture, i int) error {
		return f.Touch(ctx, "s", exp.Add(time.Duration(i)*time.Millisecond))
	}}
}

func BenchmarkLoad(b *testing.B)   { bench(b, loadCase()) }
func BenchmarkCommit(b *testing.B) { bench(b, commitCase()) }
func BenchmarkSave(b *testing.B)   { bench(b, saveCase()) }
func BenchmarkTouch(b *testing.B)  { bench(b, touchCase()) }

func BenchmarkCommitSize(b *testing.B) {
	for _, bc := range commitSizeCases() {
		b.Run(bc.name, func(b *testing.B) { bench(b, bc) })
	}
}
