package conformance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// prompt bounds a store call whose context is already done.
const prompt = time.Second

// storeGroups lists TestStore's top-level subtests, in the order they run.
func storeGroups() []storeGroup {
	return []storeGroup{
		{name: "Declared", run: runDeclared},
		{name: "RoundTrip", cases: roundTripCases()},
		{name: "NotFound", cases: notFoundCases()},
		{name: "Overwrite", cases: overwriteCases()},
		{name: "Delete", cases: deleteCases()},
		{name: "Isolation", cases: isolationCases()},
		{name: "Expiry", run: runExpiry},
		{name: "Context", cases: contextCases()},
		{name: "Unavailable", run: runUnavailable},
		{name: "Unresponsive", run: runUnresponsive},
		{name: "Instances", run: runInstances},
		{name: "Committer", needs: capCommitter, cases: committerCases()},
		{name: "Toucher", needs: capToucher, cases: toucherCases()},
		{name: "Race", cases: raceCases()},
		{name: "Cleaner", needs: capCleaner, cases: cleanerCases()},
		{name: "UserIndex", needs: capUserIndex, run: runUserIndex},
		{name: "UserGenerations", needs: capUserGenerations, cases: generationCases()},
	}
}

// Round trip -------------------------------------------------------------------

func roundTripCases() []storeCase {
	return []storeCase{
		{
			name: "Binary",
			rule: "Load returns exactly the bytes saved, whatever they are",
			run: func(c *storeT) {
				var data []byte
				for i := range 4 * 256 {
					data = append(data, byte(i))
				}
				data = append(data, "\x00\xff\xfe invalid UTF-8 \xc3\x28, NUL \x00, CRLF \r\n"...)
				data = data[:c.fit(len(data))]
				id := newID()
				c.save(id, data, c.longExpiry())
				c.wantData(id, data, "of a record holding every byte value")

				rec := vishnu.EncodeRecord(map[string][]byte{
					"user": []byte("ada"), "\x00created": {0x80, 0x01}, "empty": {},
				})
				id = newID()
				c.save(id, rec, c.longExpiry())
				c.wantData(id, rec, "of a record made by vishnu.EncodeRecord")
			},
		},
		{
			name: "Empty",
			rule: "an empty record is a record: Load returns it, empty, with a nil error",
			run: func(c *storeT) {
				id := newID()
				c.save(id, []byte{}, c.longExpiry())
				b, err := c.Load(c.ctx, id)
				switch {
				case errors.Is(err, vishnu.ErrNotFound):
					c.Errorf("Load(%s) of a record saved empty returned ErrNotFound", short(id))
				case err != nil:
					c.Errorf("Load(%s) of a record saved empty failed: %v", short(id), err)
				case len(b) != 0:
					c.Errorf("Load(%s) of a record saved empty returned %d bytes", short(id), len(b))
				}
			},
		},
		{
			name: "Large",
			rule: "a record as large as the store's documented limit round-trips intact",
			run: func(c *storeT) {
				size := c.opts.MaxRecordSize
				if size == 0 {
					size = 1 << 20
				}
				data := randomBytes(size)
				id := newID()
				c.save(id, data, c.longExpiry())
				c.wantData(id, data, fmt.Sprintf("of a %d-byte record", size))
			},
		},
		{
			name: "TooLarge",
			rule: "a record past the store's limit is refused with an error, never truncated or dropped silently",
			run: func(c *storeT) {
				if !c.opts.LimitEnforced {
					c.Skipf("StoreOptions.LimitEnforced is false: the store does not claim to refuse records past a limit")
				}
				limit := c.opts.MaxRecordSize
				before := []byte("the record before the oversized save")
				id := newID()
				c.save(id, before, c.longExpiry())
				err := c.Save(c.ctx, id, randomBytes(limit+1), c.longExpiry())
				if err == nil {
					c.Errorf("Save of a %d-byte record (MaxRecordSize %d) returned a nil error", limit+1, limit)
				} else if errors.Is(err, vishnu.ErrNotFound) {
					c.Errorf("Save of an oversized record returned %v, which errors.Is vishnu.ErrNotFound", err)
				}
				b, err := c.Load(c.ctx, id)
				switch {
				case errors.Is(err, vishnu.ErrNotFound):
				case err != nil:
					c.Errorf("Load after a refused oversized Save failed: %v", err)
				case !bytesEqual(b, before):
					c.Errorf("Load after a refused oversized Save returned neither the previous record nor ErrNotFound: %s", diffBytes(b, before))
				}

				fresh := newID()
				if err := c.Save(c.ctx, fresh, randomBytes(limit+1), c.longExpiry()); err == nil {
					c.Errorf("Save of a %d-byte record under a new id returned a nil error", limit+1)
				}
				c.wantNotFound(fresh, "after a refused oversized Save under a new id")

				if _, ok := c.store.(vishnu.Committer); ok {
					id := newID()
					ch := &vishnu.Change{Create: true, Set: []vishnu.Field{{Key: "big", Value: randomBytes(limit)}}, Expires: c.longExpiry()}
					if err := c.Commit(c.ctx, id, ch); err == nil {
						c.Errorf("Commit of a change making a record over %d bytes returned a nil error", limit)
					}
					c.wantNotFound(id, "after a refused oversized Commit that would have created the record")
				}
			},
		},
		{
			name: "CallerOwnsSlices",
			rule: "the store keeps no reference to the slice passed to Save, and never changes a slice Load has returned",
			run: func(c *storeT) {
				want := []byte("the record as saved")
				data := append([]byte(nil), want...)
				id := newID()
				c.save(id, data, c.longExpiry())
				for i := range data {
					data[i] = 'x'
				}
				c.wantData(id, want, "after the caller overwrote the slice it had passed to Save")

				got := c.load(id)
				c.save(id, []byte("the record as resaved"), c.longExpiry())
				if !bytesEqual(got, want) {
					c.Errorf("a slice returned by Load changed when the record was saved again: %s", diffBytes(got, want))
				}
				if _, ok := c.store.(vishnu.Committer); ok {
					c.save(id, record("a", "1"), c.longExpiry())
					got = c.load(id)
					c.commitOK(id, &vishnu.Change{Set: fields("a", "2"), Expires: c.longExpiry()})
					if !bytesEqual(got, record("a", "1")) {
						c.Errorf("a slice returned by Load changed when the record was committed: %s", diffBytes(got, record("a", "1")))
					}
				}
			},
		},
		{
			name: "ResultsKept",
			rule: "a slice Load returned is never changed by a later call of the store: a Load or Save of another record, a Save, Commit, Touch or Delete of the same one (a store may return memory it shares, never memory it reuses)",
			run:  loadResultsKept,
		},
	}
}

// loadResultsKept loads a record, then makes one store call after another
// and checks after each that the slice it got still holds the record. The
// records are a few tens of KiB and of one size, so that a buffer reused for
// large reads, or one rewritten in place, would be.
func loadResultsKept(c *storeT) {
	size := c.fit(24 << 10)
	rec := func(b byte) []byte { return record("k", strings.Repeat(string(b), size-16)) }
	one, other := newID(), newID()
	c.save(one, rec('1'), c.longExpiry())
	c.save(other, rec('2'), c.longExpiry())
	got := c.load(one)
	want := append([]byte(nil), got...)
	type step struct {
		what string
		f    func()
	}
	steps := []step{
		{"a Load of another record", func() { c.load(other) }},
		{"a Save of another record", func() { c.save(newID(), rec('3'), c.longExpiry()) }},
		{"a Save of the record, as long as before", func() { c.save(one, rec('4'), c.longExpiry()) }},
		{"a Load of the record", func() { c.load(one) }},
	}
	if _, ok := c.store.(vishnu.Committer); ok {
		steps = append(steps, step{"a Commit of the record", func() {
			c.commitOK(one, &vishnu.Change{Set: fields("k", strings.Repeat("5", size-16)), Expires: c.longExpiry()})
		}})
	}
	if _, ok := c.store.(vishnu.Toucher); ok {
		steps = append(steps, step{"a Touch of the record", func() {
			if err := c.Touch(c.ctx, one, c.longExpiry()); err != nil {
				c.Fatalf("Touch of a live record failed: %v", err)
			}
		}})
	}
	steps = append(steps, step{"a Delete of the record, and a Save of it anew", func() {
		c.del(one)
		c.save(one, rec('6'), c.longExpiry())
	}})
	for _, st := range steps {
		st.f()
		if !bytesEqual(got, want) {
			c.Fatalf("a slice returned by Load changed after %s: %s", st.what, diffBytes(got, want))
		}
	}
}

// Not found --------------------------------------------------------------------

func notFoundCases() []storeCase {
	return []storeCase{
		{
			name: "NeverSaved",
			rule: "Load of an id never saved returns an error that errors.Is vishnu.ErrNotFound",
			run: func(c *storeT) {
				c.wantNotFound(newID(), "of an id never saved")
			},
		},
	}
}

// Overwrite --------------------------------------------------------------------

func overwriteCases() []storeCase {
	return []storeCase{
		{
			name: "Replaces",
			rule: "Save replaces the whole previous record, whatever their sizes",
			run: func(c *storeT) {
				id := newID()
				for _, data := range [][]byte{
					[]byte(strings.Repeat("long record ", 100))[:c.fit(1200)],
					[]byte("short"),
					[]byte(strings.Repeat("longer again ", 200))[:c.fit(2600)],
					{},
					[]byte("last"),
				} {
					c.save(id, data, c.longExpiry())
					c.wantData(id, data, fmt.Sprintf("after a Save of %d bytes over an existing record", len(data)))
				}
			},
		},
		{
			name: "NoTornReads",
			rule: "Save replaces a record atomically: a concurrent Load sees the old record or the new one, never a mix",
			run: func(c *storeT) {
				a := []byte(strings.Repeat("a", c.fit(8192)/2))
				b := []byte(strings.Repeat("b", c.fit(8192)))
				id := newID()
				c.save(id, a, c.longExpiry())
				var bad atomic.Int32
				c.goroutines(8, func(g int) {
					for i := range 40 {
						if g%2 == 0 {
							data := a
							if (g/2+i)%2 == 0 {
								data = b
							}
							if err := c.Save(c.ctx, id, data, c.longExpiry()); err != nil {
								c.Errorf("Save during concurrent Saves and Loads failed: %v", err)
								return
							}
							continue
						}
						got, err := c.Load(c.ctx, id)
						switch {
						case errors.Is(err, vishnu.ErrNotFound):
							if bad.Add(1) <= 3 {
								c.Errorf("Load during concurrent Saves returned ErrNotFound for a record that always exists")
							}
						case err != nil:
							c.Errorf("Load during concurrent Saves failed: %v", err)
							return
						case !bytesEqual(got, a) && !bytesEqual(got, b):
							if bad.Add(1) <= 3 {
								c.Errorf("Load during concurrent Saves returned a record that is neither of those saved: %s", diffBytes(got, a))
							}
						}
					}
				})
			},
		},
	}
}

// Delete -----------------------------------------------------------------------

func deleteCases() []storeCase {
	return []storeCase{
		{
			name: "Idempotent",
			rule: "Delete of a missing record is not an error, nor is deleting twice",
			run: func(c *storeT) {
				if err := c.Delete(c.ctx, newID()); err != nil {
					c.Errorf("Delete of an id never saved returned %v, want nil", err)
				}
				id := newID()
				c.save(id, []byte("to be deleted"), c.longExpiry())
				if err := c.Delete(c.ctx, id); err != nil {
					c.Fatalf("Delete of a saved record failed: %v", err)
				}
				if err := c.Delete(c.ctx, id); err != nil {
					c.Errorf("Delete of a record already deleted returned %v, want nil", err)
				}
			},
		},
		{
			name: "Final",
			rule: "a deleted record stays deleted, until saved anew",
			run: func(c *storeT) {
				id, other := newID(), newID()
				c.save(id, []byte("to be deleted"), c.longExpiry())
				c.save(other, []byte("a neighbour"), c.longExpiry())
				c.del(id)
				c.wantNotFound(id, "right after Delete")
				time.Sleep(c.res() / 2)
				c.wantNotFound(id, fmt.Sprintf("%v after Delete", c.res()/2))
				c.wantData(other, []byte("a neighbour"), "of another record after a Delete")
				c.save(id, []byte("saved anew"), c.longExpiry())
				c.wantData(id, []byte("saved anew"), "of a deleted id saved again")
			},
		},
	}
}

// Isolation --------------------------------------------------------------------

func isolationCases() []storeCase {
	return []storeCase{
		{
			name: "Sessions",
			rule: "each id has its own record: no crosstalk, even between ids that differ only in letter case or in one character, or by a '_' or '-' (which pattern matching may take for wildcards or separators)",
			run: func(c *storeT) {
				base := []byte(newID())
				base[20] = 'q'
				base[len(base)-1] = 'k' // neither '_' nor '-': last differs from it by a letter
				upper := append([]byte(nil), base...)
				upper[20] = 'Q'
				last := append([]byte(nil), base...)
				last[len(last)-1] ^= 1 // another base64url character
				ids := []string{string(base), string(upper), string(last), string(base[:len(base)-1]), string(base) + "A", newID()}
				for _, id := range ids {
					c.save(id, []byte("record of "+id), c.longExpiry())
				}
				for _, id := range ids {
					c.wantData(id, []byte("record of "+id), "among records with similar ids")
				}
				c.del(ids[0])
				for _, id := range ids[1:] {
					c.wantData(id, []byte("record of "+id), "after Delete of a record with a similar id")
				}
				// Base64url ids hold '_' and '-': an id never saved that
				// has them where a saved one has letters is not that one.
				for _, ch := range []byte{'_', '-'} {
					saved := []byte(newID())
					saved[5], saved[30] = 'z', 'z'
					c.save(string(saved), []byte("record of "+string(saved)), c.longExpiry())
					other := append([]byte(nil), saved...)
					other[5], other[30] = ch, ch
					c.wantNotFound(string(other), fmt.Sprintf("of an id never saved that differs from a saved one only by %q where that one has 'z'", ch))
				}
			},
		},
		{
			name: "Deletes",
			rule: "Delete of an id removes the record of exactly that id: never one whose id differs only in letter case, or has a letter where it has '_' or '-' (which SQL LIKE and glob patterns take for wildcards)",
			run:  exactIDDeletes,
		},
		{
			name: "Concurrent",
			rule: "under many goroutines, each id keeps its own record: no crosstalk, no lost or stale data",
			run: func(c *storeT) {
				const workers, sessions, rounds = 8, 8, 20
				var bad atomic.Int32
				c.goroutines(workers, func(g int) {
					ids := make([]string, sessions)
					for s := range ids {
						ids[s] = newID()
					}
					for r := range rounds {
						for s, id := range ids {
							if err := c.Save(c.ctx, id, fmt.Appendf(nil, "worker %d session %d round %d", g, s, r), c.longExpiry()); err != nil {
								c.Errorf("Save failed: %v", err)
								return
							}
						}
						for s, id := range ids {
							want := fmt.Appendf(nil, "worker %d session %d round %d", g, s, r)
							got, err := c.Load(c.ctx, id)
							if err != nil {
								c.Errorf("Load of a record just saved failed: %v", err)
								return
							}
							if !bytesEqual(got, want) && bad.Add(1) <= 3 {
								c.Errorf("Load(%s) returned %q, want %q", short(id), got, want)
							}
						}
					}
				})
			},
		},
	}
}

// Context ----------------------------------------------------------------------

func contextCases() []storeCase {
	return []storeCase{
		{
			name: "Cancelled",
			rule: "a call with a cancelled context returns an error promptly, and that error is never vishnu.ErrNotFound",
			run: func(c *storeT) {
				ctx, cancel := context.WithCancel(c.ctx)
				cancel()
				doneContextCalls(c, ctx, "a cancelled")
			},
		},
		{
			name: "DeadlineExceeded",
			rule: "a call whose context's deadline has passed returns an error promptly, and that error is never vishnu.ErrNotFound",
			run: func(c *storeT) {
				ctx, cancel := context.WithDeadline(c.ctx, time.Now().Add(-time.Second))
				defer cancel()
				doneContextCalls(c, ctx, "an expired")
			},
		},
		{
			name: "CancelDuringCall",
			rule: "calls in flight when their context is cancelled return promptly, and Load never reports a present record as vishnu.ErrNotFound",
			run: func(c *storeT) {
				present := newID()
				c.save(present, []byte("present"), c.longExpiry())
				ctx, cancel := context.WithCancel(c.ctx)
				defer cancel()
				const workers = 8
				notFound := make([]int, workers)
				var wg sync.WaitGroup
				for g := range workers {
					wg.Go(func() {
						for ctx.Err() == nil {
							_, err := c.Load(ctx, present)
							if errors.Is(err, vishnu.ErrNotFound) {
								notFound[g]++
							}
						}
					})
				}
				time.Sleep(20 * time.Millisecond)
				cancel()
				done := make(chan struct{})
				go func() { wg.Wait(); close(done) }()
				select {
				case <-done:
				case <-time.After(prompt):
					c.Fatalf("Load calls in flight when their context was cancelled had not returned %v later", prompt)
				}
				n := 0
				for _, x := range notFound {
					n += x
				}
				if n > 0 {
					c.Errorf("%d Load calls of a present record returned ErrNotFound around the cancellation of their context", n)
				}
			},
		},
	}
}

// doneContextCalls makes each store call with ctx, which is done, and checks
// that each fails promptly with an error that is not ErrNotFound.
func doneContextCalls(c *storeT, ctx context.Context, what string) {
	present := newID()
	c.save(present, []byte("present"), c.longExpiry())
	calls := []struct {
		name string
		f    func() error
	}{
		{"Load of a missing record", func() error { _, err := c.Load(ctx, newID()); return err }},
		{"Load of a present record", func() error { _, err := c.Load(ctx, present); return err }},
		{"Save", func() error { return c.Save(ctx, newID(), []byte("x"), c.longExpiry()) }},
		{"Delete", func() error { return c.Delete(ctx, present) }},
	}
	if _, ok := c.store.(vishnu.Committer); ok {
		calls = append(calls, struct {
			name string
			f    func() error
		}{"Commit", func() error {
			return c.Commit(ctx, present, &vishnu.Change{Set: []vishnu.Field{{Key: "k", Value: []byte("v")}}, Expires: c.longExpiry()})
		}})
	}
	if _, ok := c.store.(vishnu.Toucher); ok {
		calls = append(calls, struct {
			name string
			f    func() error
		}{"Touch", func() error { return c.Touch(ctx, present, c.longExpiry()) }})
	}
	if _, ok := c.store.(vishnu.Cleaner); ok {
		calls = append(calls, struct {
			name string
			f    func() error
		}{"Cleanup", func() error { _, err := c.Cleanup(ctx, 0, 10); return err }})
	}
	for _, call := range calls {
		start := time.Now()
		err := call.f()
		took := time.Since(start)
		switch {
		case err == nil:
			c.Errorf("%s with %s context returned a nil error", call.name, what)
		case errors.Is(err, vishnu.ErrNotFound):
			c.Errorf("%s with %s context returned %v, which errors.Is vishnu.ErrNotFound: Vishnu would take a failed call for \"no session\"", call.name, what, err)
		}
		if took > prompt {
			c.Errorf("%s with %s context took %v to return", call.name, what, took.Round(time.Millisecond))
		}
	}
}

// Unavailable ------------------------------------------------------------------

// unavailableRule is the rule of every Unavailable case.
const unavailableRule = "a store whose backend cannot be reached returns an error, never vishnu.ErrNotFound (Vishnu would log the user out)"

// unavailableCall is one store call of the Unavailable cases.
type unavailableCall struct {
	name  string
	needs capability
	f     func(c *storeT, ctx context.Context) error
}

func unavailableCalls() []unavailableCall {
	return []unavailableCall{
		{"Load", 0, func(c *storeT, ctx context.Context) error { _, err := c.Load(ctx, newID()); return err }},
		{"Save", 0, func(c *storeT, ctx context.Context) error {
			return c.Save(ctx, newID(), []byte("x"), c.longExpiry())
		}},
		{"Delete", 0, func(c *storeT, ctx context.Context) error { return c.Delete(ctx, newID()) }},
		{"Commit", capCommitter, func(c *storeT, ctx context.Context) error {
			return c.Commit(ctx, newID(), &vishnu.Change{Set: []vishnu.Field{{Key: "k", Value: []byte("v")}}, Expires: c.longExpiry()})
		}},
		{"Touch", capToucher, func(c *storeT, ctx context.Context) error { return c.Touch(ctx, newID(), c.longExpiry()) }},
		{"Cleanup", capCleaner, func(c *storeT, ctx context.Context) error { _, err := c.Cleanup(ctx, 0, 10); return err }},
	}
}

func runUnavailable(t *testing.T, r *storeRunner, _ capabilities) {
	if r.opts.NewUnavailable == nil {
		t.Run("not-provided", func(t *testing.T) {
			t.Skip("StoreOptions.NewUnavailable is not set: whether the store reports a dead backend as an error, not as \"not found\", is not tested")
		})
		return
	}
	calls := unavailableCalls()
	for _, call := range calls {
		t.Run(call.name, func(t *testing.T) {
			store := r.opts.NewUnavailable(t)
			if store == nil {
				t.Fatal("conformance: StoreOptions.NewUnavailable returned nil")
			}
			if call.needs != 0 && !capabilitiesOf(store).has(call.needs) {
				t.Skipf("the unavailable store is not a %s", call.needs)
			}
			r.run(t, unavailableRule, store, func(c *storeT) {
				ctx, cancel := context.WithTimeout(c.ctx, r.opts.Watchdog/2)
				defer cancel()
				err := call.f(c, ctx)
				switch {
				case err == nil:
					c.Errorf("%s on a store whose backend is down returned a nil error", call.name)
				case errors.Is(err, vishnu.ErrNotFound):
					c.Errorf("%s on a store whose backend is down returned %v, which errors.Is vishnu.ErrNotFound", call.name, err)
				}
			})
		})
	}
}
