package conformance

import (
	"errors"
	"fmt"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// Expiry at its edges ------------------------------------------------------------
//
// These checks share the wait of the other expiry cases. Lifetimes that no
// case can wait for (30 days, MaxTimeout) are checked right after the call
// and again after the wait: a store that takes them for a date in 1970, or
// overflows them, loses the record at once.

// longLifetimes are the lifetimes a store must keep, around memcached's
// switch from relative to absolute expiry times (30 days) and up to
// vishnu.MaxTimeout.
var longLifetimes = []time.Duration{
	30*24*time.Hour - time.Second, 30 * 24 * time.Hour, 30*24*time.Hour + time.Second,
	31 * 24 * time.Hour, 365 * 24 * time.Hour, vishnu.MaxTimeout,
}

// notEarlyLifetime is the lifetime of NotEarly's records: its fraction of a
// second is 0.9, so that an expiry cut to whole seconds (by a relative TTL
// or an absolute time) comes 0.9 s early, and it outlives the shared wait
// by at least 150 ms, so that the check can run before the expiry.
func notEarlyLifetime(res time.Duration) time.Duration {
	base := 7*res/2 + 150*time.Millisecond - 900*time.Millisecond
	n := time.Duration(0)
	if base > 0 {
		n = (base + time.Second - 1) / time.Second
	}
	return n*time.Second + 900*time.Millisecond
}

// notEarlyMargin is how long before their expiry NotEarly's records are
// checked, and earlyTolerance the clock skew allowed between the suite and
// the backend (on one machine, a millisecond or two of rounding).
const (
	notEarlyMargin = 400 * time.Millisecond
	earlyTolerance = 5 * time.Millisecond
)

func notEarlyChecks() []expiryCheck {
	var expires time.Time
	var ids []struct{ id, via string }
	return []expiryCheck{{
		name:      "NotEarly",
		rule:      "a record lives until its expiry: it is never expired early, as an expiry cut to whole seconds would be",
		setupLast: true,
		setup: func(c *storeT) {
			// Start just after a whole second, so that an absolute expiry
			// cut to whole seconds loses 0.9 s too.
			now := time.Now()
			time.Sleep(now.Truncate(time.Second).Add(time.Second).Sub(now))
			expires = time.Now().Add(notEarlyLifetime(c.res()))
			id := newID()
			c.save(id, []byte("lives until its expiry"), expires)
			ids = append(ids, struct{ id, via string }{id, "Save"})
			if _, ok := c.store.(vishnu.Committer); ok {
				id := newID()
				c.save(id, record("a", "1"), c.longExpiry())
				c.commitOK(id, &vishnu.Change{Set: fields("b", "2"), Expires: expires})
				ids = append(ids, struct{ id, via string }{id, "Commit"})
				id = newID()
				c.save(id, record("a", "1"), expires)
				c.commitOK(id, &vishnu.Change{Set: fields("b", "2"), Expires: expires, SameExpiry: true})
				ids = append(ids, struct{ id, via string }{id, "Save, then a Commit with SameExpiry"})
			}
			if _, ok := c.store.(vishnu.Toucher); ok {
				id := newID()
				c.save(id, []byte("lives until its expiry"), c.longExpiry())
				if err := c.Touch(c.ctx, id, expires); err != nil {
					c.Fatalf("Touch of a live record failed: %v", err)
				}
				ids = append(ids, struct{ id, via string }{id, "Touch"})
			}
		},
		check: func(c *storeT) {
			if d := time.Until(expires.Add(-notEarlyMargin)); d > 0 {
				time.Sleep(d)
			}
			for _, r := range ids {
				_, err := c.Load(c.ctx, r.id)
				left := time.Until(expires)
				switch {
				case errors.Is(err, vishnu.ErrNotFound) && left > earlyTolerance:
					c.Errorf("Load(%s) of a record given an expiry %v ahead by %s returned ErrNotFound %v before that expiry: the record expired early (is the expiry cut to whole seconds?)",
						short(r.id), notEarlyLifetime(c.res()), r.via, left.Round(time.Millisecond))
				case errors.Is(err, vishnu.ErrNotFound):
					c.Logf("the check of %s came too late (%v before the expiry) to tell whether the record expired early", short(r.id), left.Round(time.Millisecond))
				case err != nil:
					c.Errorf("Load(%s) failed: %v", short(r.id), err)
				}
			}
		},
	}}
}

func expiryEdgeChecks() []expiryCheck {
	var (
		underRes []struct{ id, via string }
		longIDs  []struct {
			id, via string
			d       time.Duration
		}
		moved []struct {
			id, shape string
			later     bool
		}
	)
	return []expiryCheck{
		{
			name: "Declared",
			rule: "the store says how its expired records leave the backend (StoreOptions.Expiry), and it holds: records removed by Cleanup need a vishnu.Cleaner",
			check: func(c *storeT) {
				_, cleaner := c.store.(vishnu.Cleaner)
				switch c.opts.Expiry {
				case BackendExpires:
				case CleanupRemoves:
					if !cleaner {
						c.Errorf("StoreOptions.Expiry is CleanupRemoves, but the store is not a vishnu.Cleaner: nothing ever removes its expired records, and the backend fills up with every session it ever held")
					}
				default:
					c.Errorf("StoreOptions.Expiry is %v: say how expired records leave the backend, conformance.BackendExpires if the backend drops them by itself (a TTL), conformance.CleanupRemoves if the store is a vishnu.Cleaner whose Cleanup removes them; a store that does neither keeps every session forever", c.opts.Expiry)
				}
			},
		},
		{
			name: "UnderResolution",
			rule: "a lifetime shorter than the TTL resolution expires, given to Save, Commit or Touch: it never becomes \"no expiry\"",
			setup: func(c *storeT) {
				for _, d := range []time.Duration{c.res() / 2, time.Millisecond} {
					id := newID()
					c.save(id, []byte("short-lived"), time.Now().Add(d))
					underRes = append(underRes, struct{ id, via string }{id, fmt.Sprintf("Save with a lifetime of %v", d)})
					if _, ok := c.store.(vishnu.Committer); ok {
						id := newID()
						c.save(id, record("a", "1"), c.longExpiry())
						c.commitOK(id, &vishnu.Change{Set: fields("b", "2"), Expires: time.Now().Add(d)})
						underRes = append(underRes, struct{ id, via string }{id, fmt.Sprintf("Commit with a lifetime of %v", d)})
					}
					if _, ok := c.store.(vishnu.Toucher); ok {
						id := newID()
						c.save(id, []byte("short-lived"), c.longExpiry())
						if err := c.Touch(c.ctx, id, time.Now().Add(d)); err != nil && !errors.Is(err, vishnu.ErrNotFound) {
							c.Fatalf("Touch with a lifetime of %v failed: %v", d, err)
						}
						underRes = append(underRes, struct{ id, via string }{id, fmt.Sprintf("Touch with a lifetime of %v", d)})
					}
				}
			},
			check: func(c *storeT) {
				for _, r := range underRes {
					c.wantNotFound(r.id, fmt.Sprintf("of a record given by %s, %v later", r.via, 7*c.res()/2))
				}
			},
		},
		{
			name: "PastEndsRecord",
			rule: "an expiry in the past given to Save, Commit or Touch over a live record ends it at once (and a new record saved so is not found)",
			check: func(c *storeT) {
				for _, ago := range []time.Duration{2 * c.res(), time.Hour} {
					past := func() time.Time { return time.Now().Add(-ago) }
					id := newID()
					c.save(id, []byte("live"), c.longExpiry())
					if err := c.Save(c.ctx, id, []byte("saved with an expiry in the past"), past()); err != nil {
						c.Errorf("Save over a live record with an expiry %v in the past failed: %v", ago, err)
					}
					c.wantNotFound(id, fmt.Sprintf("after a Save over the live record with an expiry %v in the past", ago))
					fresh := newID()
					if err := c.Save(c.ctx, fresh, []byte("born expired"), past()); err != nil {
						c.Errorf("Save of a new record with an expiry %v in the past failed: %v", ago, err)
					}
					c.wantNotFound(fresh, fmt.Sprintf("after a Save of a new record with an expiry %v in the past", ago))
					if _, ok := c.store.(vishnu.Committer); ok {
						for _, create := range []bool{false, true} {
							id := newID()
							c.save(id, record("a", "1"), c.longExpiry())
							if err := c.Commit(c.ctx, id, &vishnu.Change{Create: create, Set: fields("b", "2"), Expires: past()}); err != nil && !errors.Is(err, vishnu.ErrNotFound) {
								c.Errorf("Commit (Create %v) over a live record with an expiry %v in the past failed: %v", create, ago, err)
							}
							c.wantNotFound(id, fmt.Sprintf("after a Commit (Create %v) over the live record with an expiry %v in the past", create, ago))
						}
					}
					if _, ok := c.store.(vishnu.Toucher); ok {
						id := newID()
						c.save(id, []byte("live"), c.longExpiry())
						if err := c.Touch(c.ctx, id, past()); err != nil && !errors.Is(err, vishnu.ErrNotFound) {
							c.Errorf("Touch of a live record with an expiry %v in the past failed: %v", ago, err)
						}
						c.wantNotFound(id, fmt.Sprintf("after a Touch of the live record with an expiry %v in the past", ago))
					}
				}
			},
		},
		{
			name: "LongLifetimes",
			rule: "lifetimes past 30 days and up to vishnu.MaxTimeout are kept, given to Save, Commit or Touch (memcached reads more than 30 days as a date)",
			setup: func(c *storeT) {
				add := func(id, via string, d time.Duration) {
					longIDs = append(longIDs, struct {
						id, via string
						d       time.Duration
					}{id, via, d})
					if _, err := c.Load(c.ctx, id); err != nil {
						c.Errorf("Load(%s) right after %s with a lifetime of %v: %v", short(id), via, days(d), err)
					}
				}
				for _, d := range longLifetimes {
					id := newID()
					c.save(id, []byte("long-lived"), time.Now().Add(d))
					add(id, "Save", d)
					if _, ok := c.store.(vishnu.Committer); ok {
						id := newID()
						c.commitOK(id, &vishnu.Change{Create: true, Set: fields("a", "1"), Expires: time.Now().Add(d)})
						add(id, "a Commit that created the record", d)
						id = newID()
						c.save(id, record("a", "1"), c.longExpiry())
						c.commitOK(id, &vishnu.Change{Set: fields("b", "2"), Expires: time.Now().Add(d)})
						add(id, "Commit", d)
					}
					if _, ok := c.store.(vishnu.Toucher); ok {
						id := newID()
						c.save(id, []byte("long-lived"), c.longExpiry())
						if err := c.Touch(c.ctx, id, time.Now().Add(d)); err != nil {
							c.Fatalf("Touch of a live record with a lifetime of %v failed: %v", days(d), err)
						}
						add(id, "Touch", d)
					}
				}
			},
			check: func(c *storeT) {
				for _, r := range longIDs {
					if _, err := c.Load(c.ctx, r.id); err != nil {
						c.Errorf("Load(%s) of a record given a lifetime of %v by %s, %v later: %v", short(r.id), days(r.d), r.via, 7*c.res()/2, err)
					}
				}
			},
		},
		{
			name:  "CommitMovesExpiry",
			rule:  "every Commit moves the record's expiry, also one that changes no field: an empty Change (how Vishnu refreshes a session without a Toucher), one deleting a field the record lacks, one setting a field to its value",
			needs: capCommitter,
			setup: func(c *storeT) {
				shapes := []struct {
					name   string
					change func(exp time.Time) *vishnu.Change
				}{
					{"an empty Change", func(exp time.Time) *vishnu.Change { return &vishnu.Change{Expires: exp} }},
					{"a Change deleting a field the record lacks", func(exp time.Time) *vishnu.Change {
						return &vishnu.Change{Delete: []string{"absent"}, Expires: exp}
					}},
					{"a Change setting a field to the value it has", func(exp time.Time) *vishnu.Change {
						return &vishnu.Change{Set: fields("a", "1"), Expires: exp}
					}},
				}
				for _, sh := range shapes {
					earlier, later := newID(), newID()
					c.save(earlier, record("a", "1"), c.longExpiry())
					c.commitOK(earlier, sh.change(c.shortExpiry()))
					c.save(later, record("a", "1"), c.shortExpiry())
					c.commitOK(later, sh.change(c.longExpiry()))
					moved = append(moved, struct {
						id, shape string
						later     bool
					}{earlier, sh.name, false}, struct {
						id, shape string
						later     bool
					}{later, sh.name, true})
				}
			},
			check: func(c *storeT) {
				for _, m := range moved {
					if m.later {
						c.wantFields(m.id, map[string]string{"a": "1"}, fmt.Sprintf("of a record whose expiry %s moved later, past its first expiry", m.shape))
					} else {
						c.wantNotFound(m.id, fmt.Sprintf("of a record whose expiry %s moved earlier, past that expiry", m.shape))
					}
				}
			},
		},
	}
}

// days formats a long lifetime readably.
func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return fmt.Sprintf("%d days %v", d/(24*time.Hour), d%(24*time.Hour))
}
