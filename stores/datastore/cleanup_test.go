package datastorestore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/datastore"
	vishnu "github.com/vishnu-go/vishnu/core"
	datastorestore "github.com/vishnu-go/vishnu/stores/datastore"
)

// saveMany saves n sessions named prefix-0 … prefix-(n-1), expiring at
// expires, through the store, 20 at a time.
func saveMany(t *testing.T, s *datastorestore.Store, prefix string, n int, expires time.Time) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	ids := make(chan int)
	errs := make(chan error, n)
	for range 20 {
		wg.Go(func() {
			for i := range ids {
				if err := s.Save(ctx, fmt.Sprintf("%s-%d", prefix, i), []byte("session "+prefix), expires); err != nil {
					errs <- err
				}
			}
		})
	}
	for i := range n {
		ids <- i
	}
	close(ids)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Save: %v", err)
	}
}

// remaining returns the names of the session entities left in namespace
// ns, read straight from the Datastore.
func remaining(t *testing.T, c *datastore.Client, ns string) map[string]bool {
	t.Helper()
	keys, err := c.GetAll(context.Background(), datastore.NewQuery(datastorestore.DefaultKind).Namespace(ns).KeysOnly(), nil)
	if err != nil {
		t.Fatal(err)
	}
	names := make(map[string]bool, len(keys))
	for _, k := range keys {
		names[k.Name] = true
	}
	return names
}

// TestCleanupEndToEnd: 1,000 sessions dormant for two hours and 100 live
// ones; the cleanup job with a limit of 100 per call and dormantFor of an
// hour finishes in exactly 10 calls (the tenth removes the last 100 and
// knows it, having asked for 101), and leaves exactly the live sessions,
// which still load.
func TestCleanupEndToEnd(t *testing.T) {
	c, counter := newClient(t)
	s, ns := newStore(t, c)
	saveMany(t, s, "dormant", 1000, time.Now().Add(-2*time.Hour))
	saveMany(t, s, "live", 100, time.Now().Add(time.Hour))
	ctx := context.Background()
	job, err := datastorestore.NewCleanupJob(s, datastorestore.WithDormantFor(time.Hour), datastorestore.WithCleanupLimit(100))
	if err != nil {
		t.Fatal(err)
	}
	var report datastorestore.CleanupReport
	got := counter.during(func() { report, err = job.Run(ctx) })
	if err != nil {
		t.Fatalf("the cleanup job: %v (%s)", err, report)
	}
	if !report.Finished || report.Calls != 10 {
		t.Errorf("the cleanup job, limit 100, for 1,000 dormant sessions: %s; want finished after 10 calls", report)
	}
	calls := report.Calls
	left := remaining(t, c, ns)
	if len(left) != 100 {
		t.Errorf("%d sessions left, want the 100 live ones", len(left))
	}
	for i := range 100 {
		id := fmt.Sprintf("live-%d", i)
		if !left[id] {
			t.Errorf("live session %s was deleted", id)
		}
		if _, err := s.Load(ctx, id); err != nil {
			t.Errorf("Load of live session %s after the cleanup: %v", id, err)
		}
	}
	t.Logf("1,000 dormant sessions deleted in %d calls: %s (%s RPCs per call)", calls, got, perCall(got.total(), calls))
}

func perCall(n, calls int) string { return fmt.Sprintf("%.1f", float64(n)/float64(calls)) }

// TestCleanupDormantFor: Cleanup(d) deletes the sessions that expired d
// and a second ago, and keeps those that expired a second short of d.
func TestCleanupDormantFor(t *testing.T) {
	c, _ := newClient(t)
	s, ns := newStore(t, c)
	const d = 10 * time.Minute
	now := time.Now()
	saveMany(t, s, "over", 5, now.Add(-d-time.Second))
	saveMany(t, s, "under", 5, now.Add(-d+time.Second))
	if finished, err := s.Cleanup(context.Background(), d, 100); err != nil || !finished {
		t.Fatalf("Cleanup: %v, %v", finished, err)
	}
	left := remaining(t, c, ns)
	for i := range 5 {
		if left[fmt.Sprintf("over-%d", i)] {
			t.Errorf("over-%d, dormant for %v, was kept by Cleanup(%v)", i, d+time.Second, d)
		}
		if !left[fmt.Sprintf("under-%d", i)] {
			t.Errorf("under-%d, dormant for %v, was deleted by Cleanup(%v)", i, d-time.Second, d)
		}
	}
}

// TestCleanupArguments: a negative limit and a negative dormantFor are
// refused; a limit above what one call deletes is capped, and the call
// says it has not finished.
func TestCleanupArguments(t *testing.T) {
	c, _ := newClient(t)
	s, _ := newStore(t, c)
	ctx := context.Background()
	if _, err := s.Cleanup(ctx, 0, -1); err == nil {
		t.Error("Cleanup with limit -1: no error")
	}
	if _, err := s.Cleanup(ctx, -time.Second, 10); err == nil {
		t.Error("Cleanup with a negative dormantFor: no error")
	}
	if finished, err := s.Cleanup(ctx, 0, int(^uint(0)>>1)); err != nil || !finished {
		t.Errorf("Cleanup with the largest limit on an empty namespace: %v, %v", finished, err)
	}
}

// TestCleanupJob drives the cron handler over a real server: it loops until
// finished and answers 200 with its report; with a budget too short for
// the work it stops, still 200, and the next run goes on; a store that
// cannot be reached is a 500; only GET and POST are served.
func TestCleanupJob(t *testing.T) {
	c, _ := newClient(t)
	s, ns := newStore(t, c)
	saveMany(t, s, "dormant", 250, time.Now().Add(-48*time.Hour))
	saveMany(t, s, "recent", 5, time.Now().Add(-time.Hour)) // within DefaultDormantFor
	get := func(h http.Handler, method string) (int, string) {
		t.Helper()
		ts := httptest.NewServer(h)
		defer ts.Close()
		req, _ := http.NewRequest(method, ts.URL+"/tasks/cleanup", nil)
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(body))
	}

	short, err := datastorestore.NewCleanupJob(s, datastorestore.WithCleanupLimit(1), datastorestore.WithCleanupBudget(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	code, body := get(short, http.MethodGet)
	if code != http.StatusOK || !strings.HasPrefix(body, "unfinished: ") {
		t.Errorf("a run with too short a budget: %d %q, want 200 unfinished", code, body)
	}
	t.Logf("short budget: %s", body)
	// One per call, and calls take milliseconds: some deleted, not all.
	if n := len(remaining(t, c, ns)); n == 255 || n <= 5 {
		t.Errorf("after the short run %d sessions are left of 255: it deleted none, or all", n)
	}

	job, err := datastorestore.NewCleanupJob(s, datastorestore.WithCleanupLimit(100))
	if err != nil {
		t.Fatal(err)
	}
	code, body = get(job, http.MethodPost)
	if code != http.StatusOK || !strings.HasPrefix(body, "finished: ") {
		t.Errorf("a run with the default budget: %d %q, want 200 finished", code, body)
	}
	t.Logf("default budget: %s", body)
	if left := remaining(t, c, ns); len(left) != 5 {
		t.Errorf("after the run %d sessions are left, want the 5 that expired an hour ago", len(left))
	}
	report, err := job.Run(context.Background())
	if err != nil || !report.Finished || report.Calls != 1 {
		t.Errorf("a run with nothing to do: %+v, %v; want finished after 1 call", report, err)
	}

	if code, _ := get(job, http.MethodPut); code != http.StatusMethodNotAllowed {
		t.Errorf("PUT: %d, want 405", code)
	}

	down, err := datastorestore.NewCleanupJob(unreachableStore(t, freeAddr(t)).(vishnu.Cleaner))
	if err != nil {
		t.Fatal(err)
	}
	code, body = get(down, http.MethodGet)
	if code != http.StatusInternalServerError || !strings.Contains(body, "datastorestore: cleanup") {
		t.Errorf("a run on an unreachable Datastore: %d %q, want 500 with the error", code, body)
	}
	t.Logf("unreachable: %s", body)
}

// TestNewCleanupJob checks the job's refusals.
func TestNewCleanupJob(t *testing.T) {
	s, err := datastorestore.New(dialEmulator(t, freeAddr(t), "", nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := datastorestore.NewCleanupJob(nil); err == nil {
		t.Error("NewCleanupJob(nil): no error")
	}
	for name, opt := range map[string]datastorestore.CleanupOption{
		"negative dormantFor": datastorestore.WithDormantFor(-time.Second),
		"zero limit":          datastorestore.WithCleanupLimit(0),
		"zero budget":         datastorestore.WithCleanupBudget(0),
	} {
		if _, err := datastorestore.NewCleanupJob(s, opt); err == nil {
			t.Errorf("NewCleanupJob with %s: no error", name)
		}
	}
	if _, err := datastorestore.NewCleanupJob(s, datastorestore.WithDormantFor(0), nil); err != nil {
		t.Errorf("NewCleanupJob with dormantFor 0: %v", err)
	}
	_ = errors.New
}
