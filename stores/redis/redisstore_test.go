package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	vishnu "github.com/vishnu-go/vishnu/core"
	"github.com/vishnu-go/vishnu/internal/testserver"
	redisstore "github.com/vishnu-go/vishnu/stores/redis"
)

// onEachBackend runs test on a fresh store of every Redis deployment.
func onEachBackend(t *testing.T, test func(t *testing.T, f *fixture)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			test(t, newStore(t, b.newClient(t)))
		})
	}
}

func record(fields map[string]string) []byte {
	m := make(map[string][]byte, len(fields))
	for k, v := range fields {
		m[k] = []byte(v)
	}
	return vishnu.EncodeRecord(m)
}

// loadFields loads id and decodes it, failing t on any error but ErrNotFound.
func loadFields(t *testing.T, f *fixture, id string) (map[string]string, error) {
	t.Helper()
	rec, err := f.Load(context.Background(), id)
	if errors.Is(err, vishnu.ErrNotFound) {
		return nil, err
	}
	if err != nil {
		t.Fatalf("Load(%q): %v", id, err)
	}
	m, err := vishnu.DecodeRecord(rec)
	if err != nil {
		t.Fatalf("Load(%q) returned a record that does not decode: %v", id, err)
	}
	fields := make(map[string]string, len(m))
	for k, v := range m {
		fields[k] = string(v)
	}
	return fields, nil
}

func wantFields(t *testing.T, f *fixture, id string, want map[string]string) {
	t.Helper()
	got, err := loadFields(t, f, id)
	if err != nil {
		t.Fatalf("Load(%q): %v, want %v", id, err, want)
	}
	if !maps.Equal(got, want) {
		t.Fatalf("Load(%q) = %q, want %q", id, got, want)
	}
}

func wantNotFound(t *testing.T, f *fixture, id string) {
	t.Helper()
	if got, err := loadFields(t, f, id); !errors.Is(err, vishnu.ErrNotFound) {
		t.Fatalf("Load(%q) = %q, %v; want ErrNotFound", id, got, err)
	}
	if n := f.c.Exists(context.Background(), f.key(id)).Val(); n != 0 {
		t.Fatalf("key %s still exists", f.key(id))
	}
}

// wantTTL checks that the record's Redis TTL matches expires to within a
// second.
func wantTTL(t *testing.T, f *fixture, id string, expires time.Time) {
	t.Helper()
	ttl, err := f.c.PTTL(context.Background(), f.key(id)).Result()
	if err != nil {
		t.Fatal(err)
	}
	want := time.Until(expires)
	if d := ttl - want; d < -time.Second || d > time.Second {
		t.Fatalf("TTL of %s = %v, want about %v", f.key(id), ttl, want)
	}
}

func TestNew(t *testing.T) {
	if _, err := redisstore.New(nil); err == nil {
		t.Error("New(nil) returned no error")
	}
	// No connection is made: a client of a port where nothing listens is fine.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	var dials int
	c := redis.NewClient(&redis.Options{
		Addr: addr,
		Dialer: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials++
			return nil, errors.New("dialled")
		},
	})
	defer c.Close()
	if _, err := redisstore.New(c, redisstore.WithPrefix("app:")); err != nil {
		t.Fatalf("New: %v", err)
	}
	if dials != 0 {
		t.Errorf("New dialled the server %d times", dials)
	}
}

func TestKeyPrefix(t *testing.T) {
	c := singleClient(t)
	ctx := context.Background()
	prefix := testPrefix()
	t.Cleanup(func() { deleteKeys(t, c, prefix) })
	for _, tc := range []struct {
		opts []redisstore.Option
		key  string
	}{
		{nil, redisstore.DefaultPrefix + prefix + "a"},
		{[]redisstore.Option{redisstore.WithPrefix(prefix + "app:")}, prefix + "app:" + prefix + "a"},
		{[]redisstore.Option{redisstore.WithPrefix("")}, prefix + "a"},
	} {
		s, err := redisstore.New(c, tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		// The id carries the test prefix, so that every key made is cleaned up
		// (the default prefix's key included).
		id := prefix + "a"
		if err := s.Save(ctx, id, []byte("data"), time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if v := c.HGet(ctx, tc.key, "@").Val(); v != "data" {
			t.Errorf("HGET %s @ = %q, want the record there", tc.key, v)
		}
		if err := s.Delete(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
}

func wantData(t *testing.T, f *fixture, id string, want []byte) {
	t.Helper()
	got, err := f.Load(context.Background(), id)
	if err != nil {
		t.Fatalf("Load(%q): %v, want %q", id, err, want)
	}
	if string(got) != string(want) {
		t.Fatalf("Load(%q) = %q, want %q", id, got, want)
	}
}

func TestSaveLoad(t *testing.T) {
	onEachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		wantNotFound(t, f, "never-saved")

		exp := time.Now().Add(time.Hour)
		rec := record(map[string]string{"\x00created": "\x02", "user": "alice", "empty": "", "bin": "\x00\xff\n"})
		if err := f.Save(ctx, "s1", rec, exp); err != nil {
			t.Fatalf("Save: %v", err)
		}
		wantData(t, f, "s1", rec)
		wantTTL(t, f, "s1", exp)
		// A session is a hash holding the record saved as its base.
		if got := f.c.HGetAll(ctx, f.key("s1")).Val(); !maps.Equal(got, map[string]string{"#": "", "@": string(rec)}) {
			t.Errorf("HGETALL = %q, want the record saved as the base", got)
		}

		// Save replaces the whole record and its expiry.
		exp = time.Now().Add(10 * time.Minute)
		rec = record(map[string]string{"other": "x"})
		if err := f.Save(ctx, "s1", rec, exp); err != nil {
			t.Fatalf("Save: %v", err)
		}
		wantData(t, f, "s1", rec)
		wantTTL(t, f, "s1", exp)

		// The caller may modify what Load returns, and what it gave Save.
		got, err := f.Load(ctx, "s1")
		if err != nil {
			t.Fatal(err)
		}
		clear(got)
		wantData(t, f, "s1", rec)
		data := []byte("data")
		if err := f.Save(ctx, "s2", data, exp); err != nil {
			t.Fatal(err)
		}
		clear(data)
		wantData(t, f, "s2", []byte("data"))
	})
}

// TestSaveAnyBytes: a record is opaque to a store; whatever is saved is
// loaded back, an empty record included.
func TestSaveAnyBytes(t *testing.T) {
	onEachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		var all []byte
		for i := range 256 {
			all = append(all, byte(i))
		}
		for i, data := range [][]byte{{}, []byte("not a record"), all, record(nil), record(map[string]string{"a": "1"})[:3]} {
			id := "s" + strconv.Itoa(i)
			if err := f.Save(ctx, id, data, time.Now().Add(time.Hour)); err != nil {
				t.Fatalf("Save(%q): %v", data, err)
			}
			wantData(t, f, id, data)
		}
		if err := f.Save(ctx, "nil", nil, time.Now().Add(time.Hour)); err != nil {
			t.Fatalf("Save(nil): %v", err)
		}
		wantData(t, f, "nil", nil)
	})
}

func TestSaveExpired(t *testing.T) {
	onEachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		if err := f.Save(ctx, "s", []byte("1"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := f.Save(ctx, "s", []byte("2"), time.Now().Add(-time.Second)); err != nil {
			t.Fatalf("Save in the past: %v", err)
		}
		wantNotFound(t, f, "s")
		for _, exp := range []time.Time{time.Unix(0, 0), time.Unix(-1, 0), {}} {
			if err := f.Save(ctx, "z", []byte("1"), exp); err != nil {
				t.Fatalf("Save at %v: %v", exp, err)
			}
			wantNotFound(t, f, "z")
		}
	})
}

func TestRedisExpires(t *testing.T) {
	onEachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		rec := record(map[string]string{"a": "1"})
		if err := f.Save(ctx, "s", rec, time.Now().Add(150*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		wantData(t, f, "s", rec)
		time.Sleep(300 * time.Millisecond)
		wantNotFound(t, f, "s")
		if err := f.Touch(ctx, "s", time.Now().Add(time.Hour)); !errors.Is(err, vishnu.ErrNotFound) {
			t.Fatalf("Touch of an expired record: %v, want ErrNotFound", err)
		}
		err := f.Commit(ctx, "s", &vishnu.Change{Set: set("a", "2"), Expires: time.Now().Add(time.Hour)})
		if !errors.Is(err, vishnu.ErrNotFound) {
			t.Fatalf("Commit to an expired record: %v, want ErrNotFound", err)
		}
		wantNotFound(t, f, "s")
	})
}

func TestDelete(t *testing.T) {
	onEachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		if err := f.Delete(ctx, "missing"); err != nil {
			t.Fatalf("Delete of a missing record: %v", err)
		}
		if err := f.Save(ctx, "s", record(map[string]string{"a": "1"}), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := f.Delete(ctx, "s"); err != nil {
			t.Fatal(err)
		}
		wantNotFound(t, f, "s")
	})
}

func TestTouch(t *testing.T) {
	onEachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		if err := f.Touch(ctx, "missing", time.Now().Add(time.Hour)); !errors.Is(err, vishnu.ErrNotFound) {
			t.Fatalf("Touch of a missing record: %v, want ErrNotFound", err)
		}
		wantNotFound(t, f, "missing")

		data := record(map[string]string{"a": "1", "b": "2"})
		if err := f.Save(ctx, "s", data, time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		exp := time.Now().Add(5 * time.Hour)
		if err := f.Touch(ctx, "s", exp); err != nil {
			t.Fatalf("Touch: %v", err)
		}
		wantTTL(t, f, "s", exp)
		wantData(t, f, "s", data)

		if err := f.Touch(ctx, "s", time.Now().Add(-time.Second)); err != nil {
			t.Fatalf("Touch into the past: %v", err)
		}
		wantNotFound(t, f, "s")
		if err := f.Save(ctx, "s", data, time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := f.Touch(ctx, "s", time.Time{}); err != nil {
			t.Fatalf("Touch to the zero time: %v", err)
		}
		wantNotFound(t, f, "s")
	})
}

func set(kv ...string) []vishnu.Field {
	fs := make([]vishnu.Field, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		fs = append(fs, vishnu.Field{Key: kv[i], Value: []byte(kv[i+1])})
	}
	return fs
}

func TestCommit(t *testing.T) {
	onEachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		exp := time.Now().Add(time.Hour)

		// A missing record is not created without Create, and nothing changes.
		err := f.Commit(ctx, "s", &vishnu.Change{Set: set("a", "1"), Expires: exp})
		if !errors.Is(err, vishnu.ErrNotFound) {
			t.Fatalf("Commit without Create to a missing record: %v, want ErrNotFound", err)
		}
		err = f.Commit(ctx, "s", &vishnu.Change{Replace: true, Set: set("a", "1"), Expires: exp})
		if !errors.Is(err, vishnu.ErrNotFound) {
			t.Fatalf("Commit with Replace, without Create, to a missing record: %v, want ErrNotFound", err)
		}
		wantNotFound(t, f, "s")

		// Create makes it.
		if err := f.Commit(ctx, "s", &vishnu.Change{Create: true, Set: set("a", "1", "b", "2", "c", "3"), Expires: exp}); err != nil {
			t.Fatalf("Commit with Create: %v", err)
		}
		wantFields(t, f, "s", map[string]string{"a": "1", "b": "2", "c": "3"})
		wantTTL(t, f, "s", exp)

		// Set and Delete merge into what is there; Create on an existing record
		// does not replace it.
		exp = time.Now().Add(2 * time.Hour)
		if err := f.Commit(ctx, "s", &vishnu.Change{Create: true, Set: set("a", "10", "d", "4"), Delete: []string{"b", "missing"}, Expires: exp}); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		wantFields(t, f, "s", map[string]string{"a": "10", "c": "3", "d": "4"})
		wantTTL(t, f, "s", exp)

		// Only the expiry.
		exp = time.Now().Add(3 * time.Hour)
		if err := f.Commit(ctx, "s", &vishnu.Change{Expires: exp}); err != nil {
			t.Fatalf("Commit of the expiry only: %v", err)
		}
		wantFields(t, f, "s", map[string]string{"a": "10", "c": "3", "d": "4"})
		wantTTL(t, f, "s", exp)

		// Replace drops the rest.
		if err := f.Commit(ctx, "s", &vishnu.Change{Replace: true, Set: set("\x00created", "x", "e", "5"), Expires: exp}); err != nil {
			t.Fatalf("Commit with Replace: %v", err)
		}
		wantFields(t, f, "s", map[string]string{"\x00created": "x", "e": "5"})

		// Deleting every field leaves a record without fields.
		if err := f.Commit(ctx, "s", &vishnu.Change{Delete: []string{"\x00created", "e"}, Expires: exp}); err != nil {
			t.Fatalf("Commit deleting everything: %v", err)
		}
		wantFields(t, f, "s", map[string]string{})
		if err := f.Commit(ctx, "s", &vishnu.Change{Set: set("f", "6"), Expires: exp}); err != nil {
			t.Fatalf("Commit to a record without fields: %v", err)
		}
		wantFields(t, f, "s", map[string]string{"f": "6"})

		// An expiry in the past removes the record.
		if err := f.Commit(ctx, "p", &vishnu.Change{Create: true, Set: set("a", "1"), Expires: exp}); err != nil {
			t.Fatal(err)
		}
		if err := f.Commit(ctx, "p", &vishnu.Change{Set: set("b", "1"), Expires: time.Now().Add(-time.Millisecond)}); err != nil {
			t.Fatalf("Commit into the past: %v", err)
		}
		wantNotFound(t, f, "p")
	})
}

// TestCommitMany passes more fields than Lua's unpack takes at once.
func TestCommitMany(t *testing.T) {
	onEachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		exp := time.Now().Add(time.Hour)
		const n = 12345
		want := make(map[string]string, n)
		var fields []vishnu.Field
		var names []string
		for i := range n {
			k, v := "k"+strconv.Itoa(i), "v"+strconv.Itoa(i)
			want[k] = v
			fields = append(fields, vishnu.Field{Key: k, Value: []byte(v)})
			names = append(names, k)
		}
		if err := f.Commit(ctx, "s", &vishnu.Change{Create: true, Set: fields, Expires: exp}); err != nil {
			t.Fatalf("Commit of %d fields: %v", n, err)
		}
		wantFields(t, f, "s", want)
		if err := f.Commit(ctx, "s", &vishnu.Change{Set: set("keep", "1"), Delete: names, Expires: exp}); err != nil {
			t.Fatalf("Commit deleting %d fields: %v", n, err)
		}
		wantFields(t, f, "s", map[string]string{"keep": "1"})
		if err := f.Save(ctx, "t", vishnu.EncodeRecord(toBytes(want)), exp); err != nil {
			t.Fatalf("Save of %d fields: %v", n, err)
		}
		wantFields(t, f, "t", want)
	})
}

func toBytes(m map[string]string) map[string][]byte {
	b := make(map[string][]byte, len(m))
	for k, v := range m {
		b[k] = []byte(v)
	}
	return b
}

// TestConcurrentCommits: concurrent changes to different keys of one record
// all stay, and a deletion racing with them stays a deletion.
func TestConcurrentCommits(t *testing.T) {
	onEachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		exp := time.Now().Add(time.Hour)
		if err := f.Save(ctx, "s", record(map[string]string{"\x00created": "1"}), exp); err != nil {
			t.Fatal(err)
		}
		const n = 100
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				k := "k" + strconv.Itoa(i)
				errs <- f.Commit(ctx, "s", &vishnu.Change{Set: set(k, "v"), Expires: exp})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("Commit: %v", err)
			}
		}
		got, err := loadFields(t, f, "s")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != n+1 {
			t.Fatalf("%d fields after %d concurrent commits, want %d", len(got), n, n+1)
		}

		// Writers racing with a Delete: once deleted, the record stays deleted.
		var deleted sync.WaitGroup
		deleted.Add(1)
		for i := range n {
			wg.Go(func() {
				if i == n/2 {
					defer deleted.Done()
					if err := f.Delete(ctx, "s"); err != nil {
						t.Errorf("Delete: %v", err)
					}
					return
				}
				err := f.Commit(ctx, "s", &vishnu.Change{Set: set("w"+strconv.Itoa(i), "v"), Expires: exp})
				if err != nil && !errors.Is(err, vishnu.ErrNotFound) {
					t.Errorf("Commit: %v", err)
				}
			})
		}
		wg.Wait()
		wantNotFound(t, f, "s")
	})
}

// TestWrongType: a key that this store did not write, a hash of other
// fields or a key of another type, is an error for Load and Commit, and
// Commit leaves it as it was.
func TestWrongType(t *testing.T) {
	f := newStore(t, singleClient(t))
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		write func(key string) error
	}{
		{"hash", func(key string) error { return f.c.HSet(ctx, key, "a", "1").Err() }},
		{"list", func(key string) error { return f.c.RPush(ctx, key, "a", "1").Err() }},
	} {
		key := f.key(tc.name)
		if err := tc.write(key); err != nil {
			t.Fatal(err)
		}
		dump := f.c.Dump(ctx, key).Val()
		_, err := f.Load(ctx, tc.name)
		if err == nil || errors.Is(err, vishnu.ErrNotFound) {
			t.Errorf("Load of a %s: %v, want an error", tc.name, err)
		}
		err = f.Commit(ctx, tc.name, &vishnu.Change{Create: true, Set: set("a", "1"), Expires: time.Now().Add(time.Hour)})
		if err == nil || errors.Is(err, vishnu.ErrNotFound) {
			t.Errorf("Commit to a %s: %v, want an error", tc.name, err)
		}
		if got := f.c.Dump(ctx, key).Val(); got != dump {
			t.Errorf("Commit to a %s changed it", tc.name)
		}
		// DEL, PEXPIREAT and Save, which replaces, take any type.
		for name, err := range storeErrors(ctx, f.Store, tc.name) {
			if name != "Load" && name != "Commit" && err != nil {
				t.Errorf("%s on a %s: %v", name, tc.name, err)
			}
		}
	}
}

// storeErrors calls every method of s on id and returns their errors.
func storeErrors(ctx context.Context, s *redisstore.Store, id string) map[string]error {
	exp := time.Now().Add(time.Hour)
	errs := make(map[string]error)
	_, errs["Load"] = s.Load(ctx, id)
	errs["Commit"] = s.Commit(ctx, id, &vishnu.Change{Set: set("a", "1"), Expires: exp})
	errs["Save"] = s.Save(ctx, id, record(map[string]string{"a": "1"}), exp)
	errs["Touch"] = s.Touch(ctx, id, exp)
	errs["Delete"] = s.Delete(ctx, id)
	return errs
}

// TestErrorsAreNotNotFound: a store that cannot answer says so, and never
// that the session does not exist.
func TestErrorsAreNotNotFound(t *testing.T) {
	t.Run("server down", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		_ = l.Close() // nothing listens there now
		c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1, DialTimeout: 200 * time.Millisecond})
		defer c.Close()
		s, err := redisstore.New(c)
		if err != nil {
			t.Fatal(err)
		}
		for name, err := range storeErrors(context.Background(), s, "s") {
			var opErr *net.OpError
			if err == nil || errors.Is(err, vishnu.ErrNotFound) || !errors.As(err, &opErr) {
				t.Errorf("%s with the server down: %v, want the network error, wrapped", name, err)
			}
		}
	})
	t.Run("timeout", func(t *testing.T) {
		// A server that accepts connections and never answers.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var conns sync.WaitGroup
		defer func() {
			_ = l.Close()
			conns.Wait()
		}()
		conns.Go(func() {
			for {
				conn, err := l.Accept()
				if err != nil {
					return
				}
				conns.Go(func() {
					defer conn.Close()
					_, _ = io.Copy(io.Discard, conn) // until the client hangs up
				})
			}
		})
		c := redis.NewClient(&redis.Options{Addr: l.Addr().String(), MaxRetries: -1, ReadTimeout: 100 * time.Millisecond, Protocol: 2})
		defer c.Close()
		s, err := redisstore.New(c)
		if err != nil {
			t.Fatal(err)
		}
		for name, err := range storeErrors(context.Background(), s, "s") {
			var netErr net.Error
			if err == nil || errors.Is(err, vishnu.ErrNotFound) || !errors.As(err, &netErr) || !netErr.Timeout() {
				t.Errorf("%s against a server that does not answer: %v, want a timeout, wrapped", name, err)
			}
		}
	})
	onEachBackend(t, func(t *testing.T, f *fixture) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		for name, err := range storeErrors(ctx, f.Store, "s") {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s with a cancelled context: %v, want context.Canceled, wrapped", name, err)
			}
		}
	})
}

// TestRoundTrips counts the commands each operation sends: one each, once the
// script is known to the server.
func TestRoundTrips(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			c := b.newClient(t)
			f := newStore(t, c)
			trips := new(tripCounter)
			c.AddHook(trips)
			ctx := context.Background()
			exp := time.Now().Add(time.Hour)
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}

			// Preload makes the script known to every server, so that no
			// operation below pays for sending it (TestScriptUnknownToServer).
			if n := trips.count(func() { must(f.Preload(ctx)) }); n != 1 {
				t.Errorf("Preload: %d round trips, want 1", n)
			}
			// Save is a transaction, which go-redis sends over a pool of its
			// own, whose first connection's handshake goes through hooks too:
			// open it first.
			must(f.Save(ctx, "warm", nil, exp))
			for _, op := range []struct {
				name string
				do   func() error
			}{
				{"Save", func() error { return f.Save(ctx, "s", record(map[string]string{"a": "1"}), exp) }},
				{"Load", func() error { _, err := f.Load(ctx, "s"); return err }},
				{"Load of a missing record", func() error {
					if _, err := f.Load(ctx, "missing"); !errors.Is(err, vishnu.ErrNotFound) {
						return fmt.Errorf("got %v, want ErrNotFound", err)
					}
					return nil
				}},
				{"Commit", func() error {
					return f.Commit(ctx, "s", &vishnu.Change{Set: set("b", "2", "c", "3"), Delete: []string{"a"}, Expires: exp})
				}},
				{"Commit creating", func() error {
					return f.Commit(ctx, "new", &vishnu.Change{Create: true, Set: set("b", "2"), Expires: exp})
				}},
				{"Commit to a missing record", func() error {
					if err := f.Commit(ctx, "missing", &vishnu.Change{Set: set("b", "2"), Expires: exp}); !errors.Is(err, vishnu.ErrNotFound) {
						return fmt.Errorf("got %v, want ErrNotFound", err)
					}
					return nil
				}},
				{"Touch", func() error { return f.Touch(ctx, "s", exp.Add(time.Hour)) }},
				{"Delete", func() error { return f.Delete(ctx, "s") }},
			} {
				var err error
				if n := trips.count(func() { err = op.do() }); n != 1 {
					t.Errorf("%s: %d round trips, want 1", op.name, n)
				}
				if err != nil {
					t.Errorf("%s: %v", op.name, err)
				}
			}
		})
	}
}

// TestScriptUnknownToServer: a server that lost its scripts (a restart, a
// SCRIPT FLUSH) is sent the script again, at the cost of one round trip.
func TestScriptUnknownToServer(t *testing.T) {
	f, c := storeOnOwnServer(t, false)
	ctx := context.Background()
	// A connection's handshake goes through hooks too: connect first.
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	trips := new(tripCounter)
	c.AddHook(trips)
	exp := time.Now().Add(time.Hour)
	if n := trips.count(func() {
		if err := f.Commit(ctx, "s", &vishnu.Change{Create: true, Set: set("a", "1"), Expires: exp}); err != nil {
			t.Fatal(err)
		}
	}); n != 2 {
		t.Errorf("first Commit on a server without the script: %d round trips, want 2 (EVALSHA, then EVAL)", n)
	}
	if n := trips.count(func() {
		if err := f.Commit(ctx, "s", &vishnu.Change{Set: set("b", "1"), Expires: exp}); err != nil {
			t.Fatal(err)
		}
	}); n != 1 {
		t.Errorf("second Commit: %d round trips, want 1", n)
	}
	if err := c.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(ctx, "s", &vishnu.Change{Set: set("c", "1"), Expires: exp}); err != nil {
		t.Fatalf("Commit after SCRIPT FLUSH: %v", err)
	}
	wantFields(t, f, "s", map[string]string{"a": "1", "b": "1", "c": "1"})
}

// TestRing runs the store on a ring of two servers, Preload included.
func TestRing(t *testing.T) {
	a, b := startRedisServer(t), startRedisServer(t)
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": a.Addr, "b": b.Addr}})
	t.Cleanup(func() { _ = ring.Close() })
	f := newStore(t, ring)
	ctx := context.Background()
	if err := f.Preload(ctx); err != nil {
		t.Fatalf("Preload: %v", err)
	}
	trips := new(tripCounter)
	ring.AddHook(trips)
	exp := time.Now().Add(time.Hour)
	for i := range 20 {
		id := "s" + strconv.Itoa(i)
		if n := trips.count(func() {
			if err := f.Commit(ctx, id, &vishnu.Change{Create: true, Set: set("a", id), Expires: exp}); err != nil {
				t.Fatal(err)
			}
		}); n != 1 {
			t.Errorf("Commit on a preloaded ring: %d round trips, want 1", n)
		}
		wantFields(t, f, id, map[string]string{"a": id})
		// Save is a transaction, which the ring sends to the key's shard.
		rec := record(map[string]string{"b": id})
		if err := f.Save(ctx, id, rec, exp); err != nil {
			t.Fatalf("Save on a ring: %v", err)
		}
		wantData(t, f, id, rec)
	}
	// Both shards hold sessions.
	for _, srv := range []*testserver.Server{a, b} {
		c := redis.NewClient(&redis.Options{Addr: srv.Addr})
		if n := c.DBSize(ctx).Val(); n == 0 {
			t.Errorf("shard %s holds no session", srv.Addr)
		}
		_ = c.Close()
	}
}
