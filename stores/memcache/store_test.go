package memcachestore

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// These tests talk to the memcached nodes of VISHNU_MEMCACHE_ADDRS. Each
// runs on one node and on all of them (keys spread by the client).

func forEachTopology(t *testing.T, f func(t *testing.T, addrs []string)) {
	t.Helper()
	addrs := testAddrs(t)
	t.Run("one node", func(t *testing.T) { f(t, addrs[:1]) })
	if len(addrs) > 1 {
		t.Run("all nodes", func(t *testing.T) { f(t, addrs) })
	}
}

func record(t testing.TB, kv ...string) []byte {
	t.Helper()
	m := map[string][]byte{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = []byte(kv[i+1])
	}
	return vishnu.EncodeRecord(m)
}

func fields(t testing.TB, rec []byte) map[string]string {
	t.Helper()
	m, err := vishnu.DecodeRecord(rec)
	if err != nil {
		t.Fatalf("decode record: %v", err)
	}
	out := map[string]string{}
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

func TestSaveLoadDelete(t *testing.T) {
	forEachTopology(t, func(t *testing.T, addrs []string) {
		ctx := context.Background()
		s := newTestStore(t, addrs)
		ids := []string{randomID(t), randomID(t), "id with spaces", strings.Repeat("L", 300), "#x"}
		for i, id := range ids {
			if _, err := s.Load(ctx, id); !errors.Is(err, vishnu.ErrNotFound) {
				t.Fatalf("Load of a missing record: %v; want ErrNotFound", err)
			}
			data := record(t, "n", itoa(i))
			if err := s.Save(ctx, id, data, time.Now().Add(time.Hour)); err != nil {
				t.Fatalf("Save %q: %v", id, err)
			}
			data[len(data)-1] = 'X' // the store must not keep data
		}
		for i, id := range ids {
			got, err := s.Load(ctx, id)
			if err != nil {
				t.Fatalf("Load %q: %v", id, err)
			}
			if !bytes.Equal(got, record(t, "n", itoa(i))) {
				t.Fatalf("Load %q = %q", id, got)
			}
		}
		for _, id := range ids {
			if err := s.Delete(ctx, id); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if err := s.Delete(ctx, id); err != nil {
				t.Fatalf("Delete of a missing record: %v", err)
			}
			if _, err := s.Load(ctx, id); !errors.Is(err, vishnu.ErrNotFound) {
				t.Fatalf("Load after Delete: %v; want ErrNotFound", err)
			}
		}
	})
}

func TestPrefixSeparatesStores(t *testing.T) {
	addrs := testAddrs(t)
	ctx := context.Background()
	a, b := newTestStore(t, addrs), newTestStore(t, addrs)
	id := randomID(t)
	if err := a.Save(ctx, id, record(t, "k", "a"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Load(ctx, id); !errors.Is(err, vishnu.ErrNotFound) {
		t.Fatalf("a store with another prefix sees the record: %v", err)
	}
}

// TestExpiryOver30Days is the memcached pitfall: 31 days sent as seconds
// would be read as a Unix time in January 1970, and the item would be
// gone at once.
func TestExpiryOver30Days(t *testing.T) {
	forEachTopology(t, func(t *testing.T, addrs []string) {
		ctx := context.Background()
		s := newTestStore(t, addrs)
		far := time.Now().Add(31 * 24 * time.Hour)

		// What the store guards against, shown on the raw client.
		raw := s.key(randomID(t))
		if err := s.client.Set(&memcache.Item{Key: raw, Value: []byte("x"), Expiration: 31 * 24 * 3600}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.client.Get(raw); !errors.Is(err, memcache.ErrCacheMiss) {
			t.Logf("this memcached kept an item sent with a relative 31 days (%v); the store does not rely on it", err)
		}

		saved, touched, committed := randomID(t), randomID(t), randomID(t)
		if err := s.Save(ctx, saved, record(t, "k", "v"), far); err != nil {
			t.Fatal(err)
		}
		if err := s.Save(ctx, touched, record(t, "k", "v"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.Touch(ctx, touched, far); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx, committed, &vishnu.Change{Create: true, Set: []vishnu.Field{{Key: "k", Value: []byte("v")}}, Expires: far}); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{saved, touched, committed} {
			if _, err := s.Load(ctx, id); err != nil {
				t.Fatalf("a record expiring in 31 days is not there right after it was written: %v", err)
			}
		}
	})
}

// TestExpiryNeverEarly checks both ends: the record is there until its
// expiry and gone at most two seconds (the store's rounding, see
// expiration) and a little scheduling after it.
func TestExpiryNeverEarly(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a record to expire")
	}
	addrs := testAddrs(t)
	ctx := context.Background()
	s := newTestStore(t, addrs)
	var ids []string
	var expires []time.Time
	for i := range 3 {
		id := randomID(t)
		exp := time.Now().Add(time.Second + time.Duration(i)*300*time.Millisecond)
		if err := s.Save(ctx, id, record(t, "k", "v"), exp); err != nil {
			t.Fatal(err)
		}
		ids, expires = append(ids, id), append(expires, exp)
	}
	gone := make([]bool, len(ids))
	deadline := expires[len(expires)-1].Add(3500 * time.Millisecond)
	for time.Now().Before(deadline) {
		for i, id := range ids {
			before := time.Now()
			_, err := s.Load(ctx, id)
			switch {
			case err == nil:
				if gone[i] {
					t.Fatalf("record %d came back", i)
				}
			case errors.Is(err, vishnu.ErrNotFound):
				if before.Before(expires[i]) {
					t.Fatalf("record %d expired %v early", i, expires[i].Sub(before))
				}
				gone[i] = true
			default:
				t.Fatal(err)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i := range gone {
		if !gone[i] {
			t.Errorf("record %d still there 3.5s after its expiry", i)
		}
	}
}

func TestExpiredWritesDelete(t *testing.T) {
	addrs := testAddrs(t)
	ctx := context.Background()
	s := newTestStore(t, addrs)
	past := time.Now().Add(-time.Second)
	for name, write := range map[string]func(id string) error{
		"Save": func(id string) error { return s.Save(ctx, id, record(t, "k", "new"), past) },
		"Touch": func(id string) error {
			return s.Touch(ctx, id, past)
		},
		"Commit": func(id string) error {
			return s.Commit(ctx, id, &vishnu.Change{Set: []vishnu.Field{{Key: "k", Value: []byte("new")}}, Expires: past})
		},
	} {
		id := randomID(t)
		if err := s.Save(ctx, id, record(t, "k", "old"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := write(id); err != nil {
			t.Fatalf("%s with a past expiry: %v", name, err)
		}
		if _, err := s.Load(ctx, id); !errors.Is(err, vishnu.ErrNotFound) {
			t.Fatalf("%s with a past expiry left the record: %v", name, err)
		}
	}
	// On a missing record, Save and a creating Commit write nothing and
	// succeed; Touch and a plain Commit report the record missing.
	id := randomID(t)
	if err := s.Save(ctx, id, record(t, "k", "v"), past); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, id, &vishnu.Change{Create: true, Expires: past}); err != nil {
		t.Fatal(err)
	}
	if err := s.Touch(ctx, id, past); !errors.Is(err, vishnu.ErrNotFound) {
		t.Fatalf("Touch of a missing record: %v; want ErrNotFound", err)
	}
	if err := s.Commit(ctx, id, &vishnu.Change{Expires: past}); !errors.Is(err, vishnu.ErrNotFound) {
		t.Fatalf("Commit of a missing record: %v; want ErrNotFound", err)
	}
	if _, err := s.Load(ctx, id); !errors.Is(err, vishnu.ErrNotFound) {
		t.Fatalf("Load: %v; want ErrNotFound", err)
	}
}

func TestTouch(t *testing.T) {
	addrs := testAddrs(t)
	ctx := context.Background()
	s := newTestStore(t, addrs)
	id := randomID(t)
	if err := s.Touch(ctx, id, time.Now().Add(time.Hour)); !errors.Is(err, vishnu.ErrNotFound) {
		t.Fatalf("Touch of a missing record: %v; want ErrNotFound", err)
	}
	if _, err := s.Load(ctx, id); !errors.Is(err, vishnu.ErrNotFound) {
		t.Fatal("Touch created a record")
	}
	if err := s.Save(ctx, id, record(t, "k", "v"), time.Now().Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.Touch(ctx, id, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if testing.Short() {
		return
	}
	time.Sleep(4 * time.Second) // past the first expiry and its slack
	got, err := s.Load(ctx, id)
	if err != nil {
		t.Fatalf("Load after Touch pushed the expiry back: %v", err)
	}
	if !bytes.Equal(got, record(t, "k", "v")) {
		t.Fatalf("Touch changed the data: %q", got)
	}
}

func TestCommit(t *testing.T) {
	forEachTopology(t, func(t *testing.T, addrs []string) {
		ctx := context.Background()
		s := newTestStore(t, addrs)
		id := randomID(t)
		exp := time.Now().Add(time.Hour)

		// Absent and not allowed to create: ErrNotFound, nothing written.
		err := s.Commit(ctx, id, &vishnu.Change{Set: []vishnu.Field{{Key: "a", Value: []byte("1")}}, Expires: exp})
		if !errors.Is(err, vishnu.ErrNotFound) {
			t.Fatalf("Commit on a missing record: %v; want ErrNotFound", err)
		}
		if _, err := s.Load(ctx, id); !errors.Is(err, vishnu.ErrNotFound) {
			t.Fatalf("a refused Commit wrote a record: %v", err)
		}

		steps := []struct {
			c    vishnu.Change
			want map[string]string
		}{
			{vishnu.Change{Create: true, Set: []vishnu.Field{{Key: "a", Value: []byte("1")}, {Key: "b", Value: []byte("2")}}}, map[string]string{"a": "1", "b": "2"}},
			{vishnu.Change{Set: []vishnu.Field{{Key: "c", Value: []byte("3")}}, Delete: []string{"a"}}, map[string]string{"b": "2", "c": "3"}},
			{vishnu.Change{Create: true, Set: []vishnu.Field{{Key: "b", Value: []byte("22")}}}, map[string]string{"b": "22", "c": "3"}},
			{vishnu.Change{Replace: true, Set: []vishnu.Field{{Key: "z", Value: []byte("26")}}}, map[string]string{"z": "26"}},
			{vishnu.Change{}, map[string]string{"z": "26"}},
		}
		for i, st := range steps {
			st.c.Expires = exp
			if err := s.Commit(ctx, id, &st.c); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			got, err := s.Load(ctx, id)
			if err != nil {
				t.Fatalf("step %d: Load: %v", i, err)
			}
			if f := fields(t, got); !equalMaps(f, st.want) {
				t.Fatalf("step %d: record %v; want %v", i, f, st.want)
			}
		}
	})
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestCommitMalformedRecord(t *testing.T) {
	addrs := testAddrs(t)
	s := newTestStore(t, addrs)
	id := randomID(t)
	if err := s.client.Set(&memcache.Item{Key: s.key(id), Value: []byte("not a record"), Expiration: 3600}); err != nil {
		t.Fatal(err)
	}
	err := s.Commit(context.Background(), id, &vishnu.Change{Expires: time.Now().Add(time.Hour)})
	mustFail(t, "Commit over a malformed record", err)
}

// TestConcurrentCommits is the no-lost-update guarantee at the store level:
// 100 writers on one record, each setting its own field, plus deletions.
func TestConcurrentCommits(t *testing.T) {
	forEachTopology(t, func(t *testing.T, addrs []string) {
		ctx := context.Background()
		s := newTestStore(t, addrs)
		id := randomID(t)
		exp := time.Now().Add(time.Hour)
		init := record(t, "del-0", "x", "del-1", "x", "del-2", "x", "keep", "x")
		if err := s.Save(ctx, id, init, exp); err != nil {
			t.Fatal(err)
		}
		const writers = 100
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for i := range writers {
			wg.Go(func() {
				c := &vishnu.Change{Set: []vishnu.Field{{Key: "w" + itoa(i), Value: []byte(itoa(i))}}, Expires: exp}
				if i < 3 {
					c.Delete = []string{"del-" + itoa(i)}
				}
				errs <- s.Commit(ctx, id, c)
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("Commit: %v", err)
			}
		}
		got, err := s.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		f := fields(t, got)
		for i := range writers {
			if f["w"+itoa(i)] != itoa(i) {
				t.Errorf("writer %d's field is lost", i)
			}
		}
		for i := range 3 {
			if _, ok := f["del-"+itoa(i)]; ok {
				t.Errorf("deleted field del-%d is back", i)
			}
		}
		if f["keep"] != "x" || len(f) != writers+1 {
			t.Errorf("record has %d fields: %v", len(f), f)
		}
	})
}

// TestDestroyRacingCommits: once the record is deleted, no commit in flight
// brings it back, however the race goes.
func TestDestroyRacingCommits(t *testing.T) {
	forEachTopology(t, func(t *testing.T, addrs []string) {
		ctx := context.Background()
		s := newTestStore(t, addrs)
		for round := range 20 {
			id := randomID(t)
			exp := time.Now().Add(time.Hour)
			if err := s.Save(ctx, id, record(t, "user", "alice"), exp); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			deleted := make(chan struct{})
			for i := range 8 {
				wg.Go(func() {
					if i%2 == 1 {
						<-deleted
					}
					c := &vishnu.Change{Set: []vishnu.Field{{Key: "w" + itoa(i), Value: []byte("x")}}, Expires: exp}
					if err := s.Commit(ctx, id, c); err != nil && !errors.Is(err, vishnu.ErrNotFound) {
						t.Errorf("Commit: %v", err)
					}
				})
			}
			if err := s.Delete(ctx, id); err != nil {
				t.Fatal(err)
			}
			close(deleted)
			wg.Wait()
			if got, err := s.Load(ctx, id); !errors.Is(err, vishnu.ErrNotFound) {
				t.Fatalf("round %d: the destroyed record is back: %v %q", round, err, got)
			}
		}
	})
}

// TestContentionLimit: with no retries allowed, racing commits either land
// whole or fail with ErrTooMuchContention having written nothing.
func TestContentionLimit(t *testing.T) {
	addrs := testAddrs(t)
	ctx := context.Background()
	s := newTestStore(t, addrs[:1], WithMaxRetries(0))
	sawConflict := false
	for round := 0; round < 20 && !sawConflict; round++ {
		id := randomID(t)
		exp := time.Now().Add(time.Hour)
		if err := s.Save(ctx, id, record(t), exp); err != nil {
			t.Fatal(err)
		}
		const writers = 50
		results := make([]error, writers)
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				results[i] = s.Commit(ctx, id, &vishnu.Change{Set: []vishnu.Field{{Key: "w" + itoa(i), Value: []byte("x")}}, Expires: exp})
			})
		}
		wg.Wait()
		got, err := s.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		f := fields(t, got)
		for i, err := range results {
			_, written := f["w"+itoa(i)]
			switch {
			case err == nil && !written:
				t.Fatalf("writer %d succeeded but its field is missing", i)
			case errors.Is(err, ErrTooMuchContention):
				sawConflict = true
				if written {
					t.Fatalf("writer %d gave up but its field was written", i)
				}
				if !strings.Contains(err.Error(), "1 attempts") {
					t.Errorf("error does not say how often it tried: %v", err)
				}
			case err != nil:
				t.Fatalf("writer %d: %v", i, err)
			}
		}
	}
	if !sawConflict {
		t.Skip("no compare-and-swap conflict happened in 20 rounds of 50 racing writers")
	}
}

// recordOfSize returns a valid record of exactly n bytes.
func recordOfSize(t testing.TB, n int) []byte {
	t.Helper()
	overhead := len(vishnu.EncodeRecord(map[string][]byte{"k": make([]byte, n)})) - n
	rec := vishnu.EncodeRecord(map[string][]byte{"k": make([]byte, n-overhead)})
	if len(rec) != n {
		t.Fatalf("record of %d bytes, want %d", len(rec), n)
	}
	return rec
}

func TestTooLarge(t *testing.T) {
	addrs := testAddrs(t)
	ctx := context.Background()
	s := newTestStore(t, addrs)
	id := randomID(t)
	exp := time.Now().Add(time.Hour)

	if s.MaxRecordSize() != 1048262 {
		t.Fatalf("MaxRecordSize = %d; the documentation says 1,048,262", s.MaxRecordSize())
	}
	fits := recordOfSize(t, s.MaxRecordSize())
	if err := s.Save(ctx, id, fits, exp); err != nil {
		t.Fatalf("Save of the largest record that fits (%d bytes): %v", len(fits), err)
	}
	if got, err := s.Load(ctx, id); err != nil || len(got) != len(fits) {
		t.Fatalf("Load of the largest record: %d bytes, %v", len(got), err)
	}

	// The same size under the longest key there can be.
	p := randomPrefix(t)
	longest, err := New(s.client, WithPrefix(p+strings.Repeat("p", MaxPrefixLen-len(p))))
	if err != nil {
		t.Fatal(err)
	}
	longID := strings.Repeat("L", 300)
	if k := longest.key(longID); len(k) != maxKeyLen {
		t.Fatalf("key of %d bytes; want the longest, %d", len(k), maxKeyLen)
	}
	if err := longest.Save(ctx, longID, fits, exp); err != nil {
		t.Fatalf("Save of the largest record under a %d-byte key: %v", maxKeyLen, err)
	}
	if got, err := longest.Load(ctx, longID); err != nil || len(got) != len(fits) {
		t.Fatalf("Load of the largest record under the longest key: %d bytes, %v", len(got), err)
	}

	big := recordOfSize(t, len(fits)+1)
	other := randomID(t)
	err = s.Save(ctx, other, big, exp)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "1048576") || !strings.Contains(err.Error(), "1048262") {
		t.Fatalf("Save of a record one byte too large: %v; want ErrTooLarge naming the limit", err)
	}
	if _, err := s.Load(ctx, other); !errors.Is(err, vishnu.ErrNotFound) {
		t.Fatalf("a refused record was written: %v", err)
	}

	// A commit that would grow the record past the limit.
	err = s.Commit(ctx, id, &vishnu.Change{Set: []vishnu.Field{{Key: "more", Value: make([]byte, 100)}}, Expires: exp})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Commit past the limit: %v; want ErrTooLarge", err)
	}
	if got, err := s.Load(ctx, id); err != nil || len(got) != len(fits) {
		t.Fatalf("a refused Commit changed the record: %d bytes, %v", len(got), err)
	}
}

// TestServerRefusesTooLarge: when the servers' -I is below the configured
// limit, memcached's own refusal becomes ErrTooLarge too.
func TestServerRefusesTooLarge(t *testing.T) {
	addrs := testAddrs(t)
	ctx := context.Background()
	s := newTestStore(t, addrs[:1], WithMaxItemSize(4<<20))
	id := randomID(t)
	err := s.Save(ctx, id, make([]byte, 2<<20), time.Now().Add(time.Hour))
	if err == nil {
		t.Skipf("memcached at %s accepts 2 MiB items (started with -I above 2m)", addrs[0])
	}
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Save refused by the server: %v; want ErrTooLarge", err)
	}
	t.Log(err)
	// The connection the refusal came on is not reused; the store still works.
	if err := s.Save(ctx, id, record(t, "k", "v"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
}

// TestFailuresAreNotNotFound: a server down and a cancelled context are
// errors, never "no session".
func TestFailuresAreNotNotFound(t *testing.T) {
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	change := &vishnu.Change{Set: []vishnu.Field{{Key: "k", Value: []byte("v")}}, Expires: exp}

	// Nothing listens on a port we just closed.
	c := memcache.New(closedPort(t))
	c.Timeout = 200 * time.Millisecond
	down, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	checkAllFail(t, "server down", ctx, down, change)

	addrs := testAddrs(t)
	s := newTestStore(t, addrs)
	id := randomID(t)
	if err := s.Save(ctx, id, record(t, "k", "old"), exp); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, err := range checkAllFail(t, "cancelled context", cancelled, s, change) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled context: %v does not wrap context.Canceled", err)
		}
	}
	got, err := s.Load(ctx, id)
	if err != nil || !bytes.Equal(got, record(t, "k", "old")) {
		t.Fatalf("a call with a cancelled context changed the record: %q, %v", got, err)
	}
}

func checkAllFail(t *testing.T, what string, ctx context.Context, s *Store, c *vishnu.Change) []error {
	t.Helper()
	id := randomID(t)
	_, err1 := s.Load(ctx, id)
	err2 := s.Save(ctx, id, record(t, "k", "v"), c.Expires)
	err3 := s.Commit(ctx, id, c)
	err4 := s.Touch(ctx, id, c.Expires)
	err5 := s.Delete(ctx, id)
	errs := []error{err1, err2, err3, err4, err5}
	for i, name := range []string{"Load", "Save", "Commit", "Touch", "Delete"} {
		mustFail(t, what+": "+name, errs[i])
		if !strings.HasPrefix(errs[i].Error(), "memcachestore: ") {
			t.Errorf("%s: %s: error %q lacks the package prefix", what, name, errs[i])
		}
	}
	return errs
}
