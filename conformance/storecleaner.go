package conformance

import (
	"errors"
	"fmt"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// Cleaner ----------------------------------------------------------------------
//
// The cleanup cases save records with expiries in the past: "dormant" ones
// expired two hours ago, "recent" ones a minute ago. Which of them Cleanup
// removed cannot be seen with Load (an expired record is not found either
// way), so the cases count them through the per-call limit and the finished
// flag, which must be true exactly when no record Cleanup may remove is left.

const dormantFor = time.Hour

// saveExpired saves n records that expired ago ago.
func (c *storeT) saveExpired(n int, ago time.Duration) {
	c.t.Helper()
	for range n {
		id := newID()
		c.save(id, []byte("expired"), time.Now().Add(-ago))
		c.wantNotFound(id, fmt.Sprintf("of a record saved with an expiry %v in the past", ago))
	}
}

// saveLive saves n live records and returns their ids.
func (c *storeT) saveLive(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = newID()
		c.save(ids[i], []byte("live "+ids[i]), c.longExpiry())
	}
	return ids
}

func (c *storeT) wantLive(ids []string, what string) {
	c.t.Helper()
	for _, id := range ids {
		c.wantData(id, []byte("live "+id), what)
	}
}

// cleanup calls Cleanup and fails the case on an error.
func (c *storeT) cleanup(dormant time.Duration, limit int) bool {
	c.t.Helper()
	finished, err := c.Cleanup(c.ctx, dormant, limit)
	if err != nil {
		c.Fatalf("Cleanup(%v, %d) failed: %v", dormant, limit, err)
	}
	return finished
}

// cleanupCalls calls Cleanup until it reports finished, at most max times,
// and returns the number of calls.
func (c *storeT) cleanupCalls(dormant time.Duration, limit, most int) int {
	c.t.Helper()
	for n := 1; n <= most; n++ {
		if c.cleanup(dormant, limit) {
			return n
		}
	}
	c.Fatalf("Cleanup(%v, %d) had not reported finished after %d calls, though there were not %d records to remove", dormant, limit, most, most*limit)
	return 0
}

func cleanerCases() []storeCase {
	return []storeCase{
		{
			name: "RemovesExpiredKeepsLive",
			rule: "Cleanup removes expired records and never a live one",
			run: func(c *storeT) {
				live := c.saveLive(3)
				c.saveExpired(5, 2*time.Hour)
				c.saveExpired(2, time.Minute)
				c.cleanupCalls(0, 100, 10)
				c.wantLive(live, "of a live record after Cleanup")
				if !c.cleanup(0, 1) {
					c.Errorf("Cleanup(0, 1) after a Cleanup that reported finished reported unfinished: it left expired records behind")
				}
				c.wantLive(live, "of a live record after Cleanup")
			},
		},
		{
			name: "Limit",
			rule: "Cleanup removes at most limit records per call",
			run: func(c *storeT) {
				c.saveExpired(5, 2*time.Hour)
				if c.cleanup(dormantFor, 2) {
					c.Fatalf("Cleanup(%v, 2) with 5 dormant records reported finished after one call: it removed more than 2 (or finished is untrue)", dormantFor)
				}
				if n := 1 + c.cleanupCalls(dormantFor, 2, 10); n < 3 {
					c.Errorf("Cleanup(%v, 2) removed 5 dormant records in %d calls: a call removed more than 2", dormantFor, n)
				}
			},
		},
		{
			name: "DormantFor",
			rule: "Cleanup removes only records that expired at least dormantFor ago",
			run: func(c *storeT) {
				live := c.saveLive(1)
				c.saveExpired(2, 2*time.Hour)
				c.saveExpired(3, time.Minute)
				c.cleanupCalls(dormantFor, 100, 10)
				if c.cleanup(0, 1) {
					c.Fatalf("after Cleanup(%v, …), Cleanup(0, 1) reported finished: the 3 records that expired a minute ago were removed too", dormantFor)
				}
				if n := 1 + c.cleanupCalls(0, 1, 10); n < 3 {
					c.Errorf("after Cleanup(%v, …), Cleanup(0, 1) needed %d calls to finish, want 3: records that expired a minute ago were removed by Cleanup(%v, …)", dormantFor, n, dormantFor)
				}
				c.wantLive(live, "of a live record after Cleanup")
			},
		},
		{
			name: "ZeroLimit",
			rule: "Cleanup with limit 0 removes nothing, and reports finished only when no record it may remove is left (0 is neither \"no limit\" nor \"done\")",
			run:  cleanupZeroLimit,
		},
		{
			name: "ResavedLive",
			rule: "a record saved live again while Cleanup runs is never removed by it: Cleanup removes a record only if it is still dormant when it removes it, not because it was when a first round trip listed it",
			run:  cleanupResavedLive,
		},
		{
			name: "ExactCutoff",
			rule: "Cleanup's cutoff is exact, not cut to whole seconds: a record that expired a quarter of a second more than dormantFor ago is removed, one that expired a quarter of a second less is not",
			run:  cleanupExactCutoff,
		},
		{
			name: "Finished",
			rule: "Cleanup reports finished exactly when no record it may remove is left, also when the last call removed as many as its limit",
			run: func(c *storeT) {
				if !c.cleanup(dormantFor, 10) {
					c.Errorf("Cleanup(%v, 10) on an empty store reported unfinished", dormantFor)
				}
				c.saveExpired(3, 2*time.Hour)
				c.saveExpired(1, time.Minute)
				if c.cleanup(dormantFor, 1) {
					c.Errorf("Cleanup(%v, 1) with 3 dormant records reported finished", dormantFor)
				}
				if !c.cleanup(dormantFor, 2) {
					c.Errorf("Cleanup(%v, 2) with the 2 dormant records left reported unfinished: it must remove both and say so", dormantFor)
				}
				if !c.cleanup(dormantFor, 10) {
					c.Errorf("Cleanup(%v, 10) after a call that reported finished reported unfinished", dormantFor)
				}
			},
		},
	}
}

func cleanupZeroLimit(c *storeT) {
	if !c.cleanup(dormantFor, 0) {
		c.Errorf("Cleanup(%v, 0) on an empty store reported unfinished", dormantFor)
	}
	c.saveExpired(2, 2*time.Hour)
	if c.cleanup(dormantFor, 0) {
		c.Fatalf("Cleanup(%v, 0) with 2 dormant records reported finished: it took limit 0 for \"no limit\" and removed them, or for \"nothing to do\"", dormantFor)
	}
	if c.cleanup(dormantFor, 1) {
		c.Errorf("after Cleanup(%v, 0), Cleanup(%v, 1) reported finished, with 2 dormant records saved: the call with limit 0 removed one or more", dormantFor, dormantFor)
	}
}

func cleanupResavedLive(c *storeT) {
	const rounds, n = 5, 20
	for range rounds {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = newID()
			c.save(ids[i], []byte("expired"), time.Now().Add(-2*time.Hour))
		}
		// One goroutine cleans up while the other saves every record
		// live again, one after another, as requests reusing those ids
		// would: some are saved before Cleanup lists the dormant records,
		// some while it removes them, some after.
		c.goroutines(2, func(g int) {
			if g == 0 {
				if _, err := c.Cleanup(c.ctx, 0, 10*n); err != nil {
					c.Errorf("Cleanup racing with Saves failed: %v", err)
				}
				return
			}
			for _, id := range ids {
				if err := c.Save(c.ctx, id, []byte("live "+id), c.longExpiry()); err != nil {
					c.Errorf("Save racing with Cleanup failed: %v", err)
					return
				}
				pause()
			}
		})
		for _, id := range ids {
			b, err := c.Load(c.ctx, id)
			switch {
			case errors.Is(err, vishnu.ErrNotFound):
				c.Fatalf("Load(%s) of a record saved live while Cleanup ran, after both returned: ErrNotFound (Cleanup removed it because it had been dormant when Cleanup listed it)", short(id))
			case err != nil:
				c.Fatalf("Load(%s) failed: %v", short(id), err)
			case string(b) != "live "+id:
				c.Fatalf("Load(%s) of a record saved live while Cleanup ran: %s", short(id), diffBytes(b, []byte("live "+id)))
			}
		}
	}
}

func cleanupExactCutoff(c *storeT) {
	// A cutoff half-way through a second, so that cutting it, or the
	// records' expiries, to whole seconds moves it by half a second.
	now := time.Now()
	cutoff := now.Add(-dormantFor).Truncate(time.Second).Add(500 * time.Millisecond)
	c.save(newID(), []byte("dormant a quarter second past dormantFor"), cutoff.Add(-250*time.Millisecond))
	for range 2 {
		c.save(newID(), []byte("dormant a quarter second short of dormantFor"), cutoff.Add(250*time.Millisecond))
	}
	// dormantFor is taken at the call, so that the store's cutoff is this
	// one, give or take the call's own time.
	d := time.Since(cutoff)
	c.cleanupCalls(d, 10, 10)
	switch n := c.cleanupCalls(0, 1, 10); {
	case n < 2:
		c.Errorf("Cleanup(%v, …) removed a record that had expired 250 ms less than that ago (is the cutoff rounded, or the expiry stored in whole seconds?)", d.Round(time.Millisecond))
	case n > 2:
		c.Errorf("Cleanup(%v, …) kept a record that had expired 250 ms more than that ago (is the cutoff cut to whole seconds?)", d.Round(time.Millisecond))
	}
}
