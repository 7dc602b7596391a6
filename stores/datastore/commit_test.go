package datastorestore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
	datastorestore "github.com/vishnu-go/vishnu/stores/datastore"
)

// contend runs writers concurrent Commits on one session, spread over the
// stores, each setting its own field, and returns which succeeded, the
// errors of the others, and the RPCs they made.
func contend(t *testing.T, stores []*datastorestore.Store, counters []*rpcCounter, writers int) (ok map[string]bool, errs []error, calls rpcs, took time.Duration) {
	t.Helper()
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	if err := stores[0].Save(ctx, "hot", record("seed", "1"), exp); err != nil {
		t.Fatal(err)
	}
	before := make([]rpcs, len(counters))
	for i, c := range counters {
		before[i] = c.snapshot()
	}
	ok = make(map[string]bool)
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range writers {
		wg.Go(func() {
			<-start
			k := fmt.Sprintf("w%03d", i)
			err := stores[i%len(stores)].Commit(ctx, "hot", &vishnu.Change{Set: []vishnu.Field{{Key: k, Value: []byte("x")}}, Expires: exp})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok[k] = true
			} else {
				errs = append(errs, err)
			}
		})
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	took = time.Since(t0)
	calls = rpcs{}
	for i, c := range counters {
		for m, n := range c.snapshot() {
			calls[m] += n - before[i][m]
		}
	}
	// Every Commit that succeeded is in the record, and no other.
	got, err := stores[0].Load(ctx, "hot")
	if err != nil {
		t.Fatal(err)
	}
	fields, err := vishnu.DecodeRecord(got)
	if err != nil {
		t.Fatal(err)
	}
	for k := range fields {
		if k != "seed" && !ok[k] {
			t.Errorf("field %s is in the record, but its Commit returned an error", k)
		}
	}
	for k := range ok {
		if _, in := fields[k]; !in {
			t.Errorf("field %s is missing, but its Commit succeeded: a lost update", k)
		}
	}
	return ok, errs, calls, took
}

// queueTimeout bounds the contention tests' calls, each of which waits for
// the Commits queued before it: they are about losing nothing, not about
// how fast a busy machine serves 100 of them, so the default 5 s is not
// their limit.
var queueTimeout = datastorestore.WithTimeout(2 * time.Minute)

// TestContentionOneServer: 100 concurrent Commits on one session through
// one Store all succeed, and, since they wait for each other rather than
// race, with no conflict: two RPCs each.
func TestContentionOneServer(t *testing.T) {
	c, counter := newClient(t)
	s, _ := newStore(t, c, queueTimeout)
	ok, errs, calls, took := contend(t, []*datastorestore.Store{s}, []*rpcCounter{counter}, 100)
	if len(ok) != 100 {
		t.Fatalf("%d of 100 concurrent Commits succeeded; errors: %v", len(ok), errors.Join(errs...))
	}
	if calls["Lookup"] != 100 || calls["Commit"] != 100 || calls.total() != 200 {
		t.Errorf("100 Commits made %s, want 100 Lookups and 100 Commits", calls)
	}
	t.Logf("100 concurrent Commits through one store: all kept in %v, %s", took.Round(time.Millisecond), calls)
}

// TestContentionTwoServers: 100 concurrent Commits on one session through
// two Stores on two clients, as two application servers would make them,
// all succeed with the default attempts; the transactions of the two
// servers do conflict, and the retries absorb it.
func TestContentionTwoServers(t *testing.T) {
	c1, n1 := newClient(t)
	c2, n2 := newClient(t)
	s1, ns := newStore(t, c1, queueTimeout)
	s2, err := datastorestore.New(c2, datastorestore.WithNamespace(ns), queueTimeout)
	if err != nil {
		t.Fatal(err)
	}
	ok, errs, calls, took := contend(t, []*datastorestore.Store{s1, s2}, []*rpcCounter{n1, n2}, 100)
	if len(ok) != 100 {
		t.Fatalf("%d of 100 concurrent Commits succeeded; errors: %v", len(ok), errors.Join(errs...))
	}
	t.Logf("100 concurrent Commits through two stores: all kept in %v, %s (%d conflicts retried)", took.Round(time.Millisecond), calls, calls["Lookup"]-100)
}

// TestContentionGivesUp: with one attempt, Commits of two servers that
// conflict fail with ErrTooMuchContention, and write nothing; those that
// succeed are all kept (checked by contend).
func TestContentionGivesUp(t *testing.T) {
	c1, n1 := newClient(t)
	c2, n2 := newClient(t)
	s1, ns := newStore(t, c1, datastorestore.WithMaxAttempts(1))
	s2, err := datastorestore.New(c2, datastorestore.WithNamespace(ns), datastorestore.WithMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	ok, errs, _, _ := contend(t, []*datastorestore.Store{s1, s2}, []*rpcCounter{n1, n2}, 60)
	if len(errs) == 0 {
		t.Skip("no two Commits of the two servers overlapped, so none conflicted; nothing to check")
	}
	for _, err := range errs {
		if !errors.Is(err, datastorestore.ErrTooMuchContention) {
			t.Errorf("a Commit that lost to the other server: %v, want ErrTooMuchContention", err)
		}
	}
	t.Logf("with one attempt, %d Commits kept, %d refused with ErrTooMuchContention, e.g. %v", len(ok), len(errs), errs[0])
}

// TestCommitWaitHonoursContext: a Commit waiting for the session's
// transaction in progress gives up when its context ends.
func TestCommitWaitHonoursContext(t *testing.T) {
	c, _ := newClient(t)
	s, _ := newStore(t, c)
	exp := time.Now().Add(time.Hour)
	if err := s.Save(context.Background(), "id", record("a", "1"), exp); err != nil {
		t.Fatal(err)
	}
	var done atomic.Int32
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	errs := make([]error, 50)
	for i := range errs {
		wg.Go(func() {
			errs[i] = s.Commit(ctx, "id", &vishnu.Change{Set: []vishnu.Field{{Key: fmt.Sprint(i), Value: []byte("x")}}, Expires: exp})
			done.Add(1)
		})
	}
	wg.Wait()
	failed := 0
	for _, err := range errs {
		if err != nil {
			failed++
			if errors.Is(err, vishnu.ErrNotFound) || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("a Commit cut by its deadline: %v", err)
			}
		}
	}
	t.Logf("50 Commits within 30 ms: %d done, %d cut by the deadline", 50-failed, failed)
}
