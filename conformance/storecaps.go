package conformance

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// Expiry -----------------------------------------------------------------------
//
// The expiry cases share one store and one wait: each saves its records
// (setup), then, once every short-lived record is past its expiry, checks
// them. A short-lived record lives two TTL resolutions; the wait adds one
// and a half more, for backends that count expiry in whole seconds.

type expiryCheck struct {
	name  string
	rule  string
	needs capability
	setup func(c *storeT) // nil: nothing to prepare
	check func(c *storeT)
	// setupLast makes the setup run after every other one, right before
	// the wait, for a check whose timing is counted from its setup.
	setupLast bool
}

func runExpiry(t *testing.T, r *storeRunner, caps capabilities) {
	store := r.newStore(t)
	checks := expiryChecks()
	failures := make([][]string, len(checks))
	// NotEarly's setup waits for a whole second, and its check for a
	// moment just before its expiry: the watchdog allows a second more.
	if !r.runLonger(t, "the records of the expiry cases can be saved", store, time.Second, func(c *storeT) {
		for _, last := range []bool{false, true} {
			for i, ch := range checks {
				if ch.setup != nil && ch.setupLast == last && (ch.needs == 0 || caps.has(ch.needs)) {
					c.sub(ch.rule, &failures[i], ch.setup)
				}
			}
		}
	}) {
		return
	}
	res := r.opts.TTLResolution
	time.Sleep(2*res + res + res/2)
	for i, ch := range checks {
		t.Run(ch.name, func(t *testing.T) {
			if ch.needs != 0 && !caps.has(ch.needs) {
				t.Skipf("needs a %s, which the store is not", ch.needs)
			}
			if len(failures[i]) > 0 {
				for _, f := range failures[i] {
					t.Error(f)
				}
				return
			}
			r.runLonger(t, ch.rule, store, time.Second, ch.check)
		})
	}
}

// shortExpiry is the expiry of a record that the expiry cases see expire.
func (c *storeT) shortExpiry() time.Time { return time.Now().Add(2 * c.res()) }

func expiryChecks() []expiryCheck {
	// The check of NotEarly is the only one that must run before a given
	// time, so it comes first; its setup runs last.
	return slices.Concat(notEarlyChecks(), basicExpiryChecks(), expiryEdgeChecks(), sameExpiryChecks(), userIndexExpiryChecks())
}

func basicExpiryChecks() []expiryCheck {
	var (
		honoured                 string
		extended, shortened      string
		commitShort, commitLong  string
		commitCreated            string
		commitGone, commitReborn string
		commitGoneSame           string
		touchLong, touchShort    string
		touchGone                string
	)
	return []expiryCheck{
		{
			name: "Honoured",
			rule: "Load returns vishnu.ErrNotFound once a record's expiry has passed",
			setup: func(c *storeT) {
				honoured = newID()
				start := time.Now()
				c.save(honoured, []byte("expiring"), start.Add(2*c.res()))
				b, err := c.Load(c.ctx, honoured)
				if errors.Is(err, vishnu.ErrNotFound) && time.Since(start) < c.res() {
					c.Fatalf("Load right after Save of a record to expire in %v returned ErrNotFound: the record expired early", 2*c.res())
				} else if err == nil && string(b) != "expiring" {
					c.Fatalf("Load right after Save: %s", diffBytes(b, []byte("expiring")))
				}
			},
			check: func(c *storeT) {
				c.wantNotFound(honoured, "after the record's expiry")
			},
		},
		{
			name: "SaveSetsExpiry",
			rule: "Save sets the record's expiry anew, later or earlier than before",
			setup: func(c *storeT) {
				extended, shortened = newID(), newID()
				c.save(extended, []byte("first"), c.shortExpiry())
				c.save(extended, []byte("extended"), c.longExpiry())
				c.save(shortened, []byte("first"), c.longExpiry())
				c.save(shortened, []byte("shortened"), c.shortExpiry())
			},
			check: func(c *storeT) {
				c.wantData(extended, []byte("extended"), "of a record saved again with a later expiry, past the first expiry")
				c.wantNotFound(shortened, "of a record saved again with an earlier expiry, past that expiry")
			},
		},
		{
			name:  "CommitSetsExpiry",
			rule:  "Commit sets the record's expiry to Change.Expires, later or earlier than before, also when it creates the record",
			needs: capCommitter,
			setup: func(c *storeT) {
				commitShort, commitLong = newID(), newID()
				c.save(commitShort, record("a", "1"), c.longExpiry())
				c.commitOK(commitShort, &vishnu.Change{Set: fields("b", "2"), Expires: c.shortExpiry()})
				c.save(commitLong, record("a", "1"), c.shortExpiry())
				c.commitOK(commitLong, &vishnu.Change{Set: fields("b", "2"), Expires: c.longExpiry()})
				commitCreated = newID()
				c.commitOK(commitCreated, &vishnu.Change{Create: true, Set: fields("a", "1"), Expires: c.shortExpiry()})
			},
			check: func(c *storeT) {
				c.wantNotFound(commitShort, "of a record committed with an earlier expiry, past that expiry")
				c.wantNotFound(commitCreated, "of a record created by a Commit, past the Commit's expiry")
				c.wantFields(commitLong, map[string]string{"a": "1", "b": "2"}, "of a record committed with a later expiry, past the first expiry")
			},
		},
		{
			name:  "CommitDoesNotResurrect",
			rule:  "Commit treats an expired record as missing: with Create false (SameExpiry set or not) it changes nothing and returns vishnu.ErrNotFound, with Create true it starts from no fields",
			needs: capCommitter,
			setup: func(c *storeT) {
				commitGone, commitGoneSame, commitReborn = newID(), newID(), newID()
				c.save(commitGone, record("old", "1"), c.shortExpiry())
				c.save(commitGoneSame, record("old", "1"), c.shortExpiry())
				c.save(commitReborn, record("old", "1"), c.shortExpiry())
			},
			check: func(c *storeT) {
				for _, g := range []struct {
					id   string
					same bool
				}{{commitGone, false}, {commitGoneSame, true}} {
					err := c.Commit(c.ctx, g.id, &vishnu.Change{Set: fields("new", "1"), Expires: c.longExpiry(), SameExpiry: g.same})
					if !errors.Is(err, vishnu.ErrNotFound) {
						c.Errorf("Commit with Create false (SameExpiry %v) on an expired record returned %v, want vishnu.ErrNotFound", g.same, err)
					}
					c.wantNotFound(g.id, fmt.Sprintf("after a Commit with Create false (SameExpiry %v) on the expired record", g.same))
				}
				c.commitOK(commitReborn, &vishnu.Change{Create: true, Set: fields("new", "1"), Expires: c.longExpiry()})
				c.wantFields(commitReborn, map[string]string{"new": "1"}, "after a Commit with Create true on an expired record")
			},
		},
		{
			name:  "TouchExtends",
			rule:  "Touch pushes the expiry back without changing the data",
			needs: capToucher,
			setup: func(c *storeT) {
				touchLong = newID()
				c.save(touchLong, []byte("touched"), c.shortExpiry())
				if err := c.Touch(c.ctx, touchLong, c.longExpiry()); err != nil {
					c.Fatalf("Touch of a live record failed: %v", err)
				}
			},
			check: func(c *storeT) {
				c.wantData(touchLong, []byte("touched"), "of a touched record, past its first expiry")
			},
		},
		{
			name:  "TouchSetsExpiry",
			rule:  "Touch sets the record's expiry, also to an earlier time",
			needs: capToucher,
			setup: func(c *storeT) {
				touchShort = newID()
				c.save(touchShort, []byte("touched"), c.longExpiry())
				if err := c.Touch(c.ctx, touchShort, c.shortExpiry()); err != nil {
					c.Fatalf("Touch of a live record failed: %v", err)
				}
			},
			check: func(c *storeT) {
				c.wantNotFound(touchShort, "of a record touched with an earlier expiry, past that expiry")
			},
		},
		{
			name:  "TouchDoesNotResurrect",
			rule:  "Touch of an expired record returns vishnu.ErrNotFound and brings nothing back",
			needs: capToucher,
			setup: func(c *storeT) {
				touchGone = newID()
				c.save(touchGone, []byte("expiring"), c.shortExpiry())
			},
			check: func(c *storeT) {
				if err := c.Touch(c.ctx, touchGone, c.longExpiry()); !errors.Is(err, vishnu.ErrNotFound) {
					c.Errorf("Touch of an expired record returned %v, want vishnu.ErrNotFound", err)
				}
				c.wantNotFound(touchGone, "after Touch of the expired record")
			},
		},
	}
}

// Committer --------------------------------------------------------------------

// record returns the record of key-value pairs.
func record(kv ...string) []byte {
	m := make(map[string][]byte, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = []byte(kv[i+1])
	}
	return vishnu.EncodeRecord(m)
}

// fields returns the Fields of key-value pairs.
func fields(kv ...string) []vishnu.Field {
	var f []vishnu.Field
	for i := 0; i+1 < len(kv); i += 2 {
		f = append(f, vishnu.Field{Key: kv[i], Value: []byte(kv[i+1])})
	}
	return f
}

func (c *storeT) commitOK(id string, ch *vishnu.Change) {
	c.t.Helper()
	if err := c.Commit(c.ctx, id, ch); err != nil {
		c.Fatalf("Commit(%s) failed: %v", short(id), err)
	}
}

// wantFields loads id and checks that its record holds exactly want.
func (c *storeT) wantFields(id string, want map[string]string, what string) {
	c.t.Helper()
	got := c.fields(id)
	if d := diffFields(got, want); d != "" {
		c.Errorf("Load(%s) %s: %s", short(id), what, d)
	}
}

// diffFields describes how the fields of a record differ from want.
func diffFields(got map[string][]byte, want map[string]string) string {
	var missing, extra, changed []string
	for k, v := range want {
		g, ok := got[k]
		switch {
		case !ok:
			missing = append(missing, k)
		case string(g) != v:
			changed = append(changed, fmt.Sprintf("%s=%q (want %q)", k, g, v))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			extra = append(extra, k)
		}
	}
	var parts []string
	list := func(what string, keys []string) {
		if len(keys) == 0 {
			return
		}
		slices.Sort(keys)
		shown := keys
		if len(shown) > 10 {
			shown = shown[:10]
		}
		s := fmt.Sprintf("%d %s: %s", len(keys), what, strings.Join(shown, ", "))
		if len(keys) > len(shown) {
			s += ", …"
		}
		parts = append(parts, s)
	}
	list("fields missing", missing)
	list("fields that should not be there", extra)
	list("fields with the wrong value", changed)
	return strings.Join(parts, "; ")
}

func committerCases() []storeCase {
	return []storeCase{
		{
			name: "Create",
			rule: "Commit with Create true on a missing record creates it from the change",
			run: func(c *storeT) {
				id := newID()
				c.commitOK(id, &vishnu.Change{Create: true, Set: fields("a", "1", "b", "2"), Expires: c.longExpiry()})
				c.wantFields(id, map[string]string{"a": "1", "b": "2"}, "after a Commit that created the record")
			},
		},
		{
			name: "Merge",
			rule: "Commit sets and deletes the fields the change names, and leaves the others as they are",
			run: func(c *storeT) {
				id := newID()
				c.save(id, record("a", "1", "b", "2", "c", "3", "\x00created", "\x01"), c.longExpiry())
				c.commitOK(id, &vishnu.Change{Set: fields("b", "22", "d", "4"), Delete: []string{"c", "never-there"}, Expires: c.longExpiry()})
				c.wantFields(id, map[string]string{"a": "1", "b": "22", "d": "4", "\x00created": "\x01"}, "after a Commit that set b and d and deleted c")
			},
		},
		{
			name: "Replace",
			rule: "Commit with Replace drops every field of the record before setting the change's",
			run: func(c *storeT) {
				id := newID()
				c.save(id, record("a", "1", "b", "2"), c.longExpiry())
				c.commitOK(id, &vishnu.Change{Replace: true, Set: fields("c", "3"), Expires: c.longExpiry()})
				c.wantFields(id, map[string]string{"c": "3"}, "after a Commit with Replace that set c")
				missing := newID()
				if err := c.Commit(c.ctx, missing, &vishnu.Change{Replace: true, Set: fields("c", "3"), Expires: c.longExpiry()}); !errors.Is(err, vishnu.ErrNotFound) {
					c.Errorf("Commit with Replace and Create false on a missing record returned %v, want vishnu.ErrNotFound", err)
				}
				c.wantNotFound(missing, "after a Commit with Replace and Create false on a missing record")
			},
		},
		{
			name: "BinaryFields",
			rule: "Commit keeps field names and values byte for byte, whatever they hold (invalid UTF-8, NUL, every byte value), as it keeps the fields it does not name",
			run: func(c *storeT) {
				var all []byte
				for i := range 256 {
					all = append(all, byte(i))
				}
				odd := map[string]string{
					"\x00created":      "\x80\x01",
					"bytes":            string(all),
					"invalid \xc3\x28": "\xff\xfe\xfd",
					"empty":            "",
				}
				id := newID()
				c.save(id, record("keep \xff", "\x00\xc3\x28"), c.longExpiry())
				ch := &vishnu.Change{Expires: c.longExpiry()}
				for k, v := range odd {
					ch.Set = append(ch.Set, vishnu.Field{Key: k, Value: []byte(v)})
				}
				c.commitOK(id, ch)
				odd["keep \xff"] = "\x00\xc3\x28"
				c.wantFields(id, odd, "after a Commit that set fields of binary names and values")
			},
		},
		{
			name: "FieldNames",
			rule: "Commit matches field names by their exact bytes: a name that differs from a field's only in letter case, width, Unicode normal form or a trailing space is another field, to Set and to Delete",
			run:  commitFieldNames,
		},
		{
			name: "ReservedNames",
			rule: "fields whose names start with NUL, or with another byte or prefix a store might keep for itself (\\x01, \\xff, '_', '$', '.', ':'), are fields like any other: Replace drops them, Delete deletes them, Set sets them",
			run:  commitReservedNames,
		},
		{
			name: "CreateExisting",
			rule: "Commit with Create true on a live record merges into it, as with Create false: the fields it does not name stay",
			run: func(c *storeT) {
				id := newID()
				c.save(id, record("a", "1", "b", "2"), c.longExpiry())
				c.commitOK(id, &vishnu.Change{Create: true, Set: fields("b", "22", "c", "3"), Expires: c.longExpiry()})
				c.wantFields(id, map[string]string{"a": "1", "b": "22", "c": "3"}, "after a Commit with Create true on a live record")
			},
		},
		{
			name: "EmptyChange",
			rule: "a Change that names no field, with Create false, on a missing record changes nothing and returns vishnu.ErrNotFound; on a live record it keeps every field",
			run: func(c *storeT) {
				missing := newID()
				if err := c.Commit(c.ctx, missing, &vishnu.Change{Expires: c.longExpiry()}); !errors.Is(err, vishnu.ErrNotFound) {
					c.Errorf("Commit of an empty Change with Create false on an id never saved returned %v, want vishnu.ErrNotFound", err)
				}
				c.wantNotFound(missing, "after a Commit of an empty Change with Create false on an id never saved")
				deleted := newID()
				c.save(deleted, record("a", "1"), c.longExpiry())
				c.del(deleted)
				if err := c.Commit(c.ctx, deleted, &vishnu.Change{Expires: c.longExpiry()}); !errors.Is(err, vishnu.ErrNotFound) {
					c.Errorf("Commit of an empty Change with Create false on a deleted record returned %v, want vishnu.ErrNotFound", err)
				}
				c.wantNotFound(deleted, "after a Commit of an empty Change on the deleted record (the logout was undone)")
				live := newID()
				c.save(live, record("a", "1", "\x00created", "\x01"), c.longExpiry())
				c.commitOK(live, &vishnu.Change{Expires: c.longExpiry()})
				c.wantFields(live, map[string]string{"a": "1", "\x00created": "\x01"}, "after a Commit of an empty Change")
			},
		},
		{
			name: "NoFieldsLeft",
			rule: "a Commit that leaves no field (Replace with nothing set, or deleting every field) leaves a record with no fields, not no record and not the old fields",
			run: func(c *storeT) {
				replaced := newID()
				c.save(replaced, record("a", "1", "b", "2"), c.longExpiry())
				c.commitOK(replaced, &vishnu.Change{Replace: true, Expires: c.longExpiry()})
				c.wantFields(replaced, map[string]string{}, "after a Commit with Replace and nothing set")
				emptied := newID()
				c.save(emptied, record("a", "1", "b", "2"), c.longExpiry())
				c.commitOK(emptied, &vishnu.Change{Delete: []string{"a", "b"}, Expires: c.longExpiry()})
				c.wantFields(emptied, map[string]string{}, "after a Commit that deleted every field")
				c.commitOK(emptied, &vishnu.Change{Set: fields("c", "3"), Expires: c.longExpiry()})
				c.wantFields(emptied, map[string]string{"c": "3"}, "after a Commit with Create false set a field in the record left with no fields")
			},
		},
		{
			name: "NoResurrection",
			rule: "Commit with Create false on a missing or deleted record changes nothing and returns vishnu.ErrNotFound, SameExpiry set or not, so a destroyed session stays destroyed",
			run: func(c *storeT) {
				for _, same := range []bool{false, true} {
					never := newID()
					if err := c.Commit(c.ctx, never, &vishnu.Change{Set: fields("a", "1"), Expires: c.longExpiry(), SameExpiry: same}); !errors.Is(err, vishnu.ErrNotFound) {
						c.Errorf("Commit with Create false (SameExpiry %v) on an id never saved returned %v, want vishnu.ErrNotFound", same, err)
					}
					c.wantNotFound(never, fmt.Sprintf("after a Commit with Create false (SameExpiry %v) on an id never saved", same))

					// With SameExpiry, the expiry the record was saved with.
					deleted, exp := newID(), c.longExpiry()
					c.save(deleted, record("user", "ada"), exp)
					c.del(deleted)
					if err := c.Commit(c.ctx, deleted, &vishnu.Change{Set: fields("cart", "1"), Expires: exp, SameExpiry: same}); !errors.Is(err, vishnu.ErrNotFound) {
						c.Errorf("Commit with Create false (SameExpiry %v) on a deleted record returned %v, want vishnu.ErrNotFound", same, err)
					}
					c.wantNotFound(deleted, fmt.Sprintf("after a Commit with Create false (SameExpiry %v) on the deleted record (the logout was undone)", same))
				}
			},
		},
		{
			name: "ConcurrentKeys",
			rule: "concurrent Commits that set different fields of one record all keep their fields (no lost update)",
			run: func(c *storeT) {
				const n = 100
				id := newID()
				c.save(id, record("seed", "1"), c.longExpiry())
				want := map[string]string{"seed": "1"}
				for i := range n {
					want[fmt.Sprintf("k%03d", i)] = fmt.Sprint(i)
				}
				c.goroutines(n, func(i int) {
					k := fmt.Sprintf("k%03d", i)
					if err := c.Commit(c.ctx, id, &vishnu.Change{Set: fields(k, want[k]), Expires: c.longExpiry()}); err != nil {
						c.Errorf("Commit %d of %d concurrent Commits failed: %v", i, n, err)
					}
				})
				c.wantFields(id, want, fmt.Sprintf("after %d concurrent Commits each setting its own field", n))
			},
		},
		{
			name: "ConcurrentCreate",
			rule: "Commits with Create true of one new id, run at once, all keep their fields: none overwrites the record another has just created",
			run:  commitConcurrentCreate,
		},
		{
			name: "ConcurrentDeletes",
			rule: "a field deleted by one Commit stays deleted while concurrent Commits set other fields",
			run: func(c *storeT) {
				const n = 50
				id := newID()
				kv := []string{"seed", "1"}
				want := map[string]string{"seed": "1"}
				for i := range n {
					kv = append(kv, fmt.Sprintf("d%02d", i), "doomed")
					want[fmt.Sprintf("s%02d", i)] = fmt.Sprint(i)
				}
				c.save(id, record(kv...), c.longExpiry())
				c.goroutines(2*n, func(i int) {
					ch := &vishnu.Change{Expires: c.longExpiry()}
					if i%2 == 0 {
						ch.Delete = []string{fmt.Sprintf("d%02d", i/2)}
					} else {
						ch.Set = fields(fmt.Sprintf("s%02d", i/2), fmt.Sprint(i/2))
					}
					if err := c.Commit(c.ctx, id, ch); err != nil {
						c.Errorf("one of %d concurrent Commits failed: %v", 2*n, err)
					}
				})
				c.wantFields(id, want, fmt.Sprintf("after %d concurrent Commits deleting a field each and %d setting one", n, n))
			},
		},
		{
			name: "DestroyWins",
			rule: "a Delete racing with Commits is final: no Commit that starts after Delete returns succeeds, and the record stays deleted",
			run: func(c *storeT) {
				const writers = 20
				id := newID()
				c.save(id, record("user", "ada"), c.longExpiry())
				var deleted atomic.Bool
				var commits, late atomic.Int32
				deadline := time.Now().Add(c.opts.Watchdog / 2)
				c.goroutines(writers+1, func(i int) {
					if i == writers {
						for commits.Load() < 2*writers && time.Now().Before(deadline) {
							runtime.Gosched()
						}
						if err := c.Delete(c.ctx, id); err != nil {
							c.Errorf("Delete failed: %v", err)
						}
						deleted.Store(true)
						return
					}
					for j, after := 0, 0; after < 10 && time.Now().Before(deadline); j++ {
						wasDeleted := deleted.Load()
						err := c.Commit(c.ctx, id, &vishnu.Change{Set: fields(fmt.Sprintf("w%02d-%d", i, j), "x"), Expires: c.longExpiry()})
						switch {
						case errors.Is(err, vishnu.ErrNotFound):
							return
						case err != nil:
							c.Errorf("Commit racing with Delete failed: %v", err)
							return
						}
						commits.Add(1)
						if wasDeleted {
							late.Add(1)
							after++
						}
					}
				})
				if n := late.Load(); n > 0 {
					c.Errorf("%d Commits with Create false that started after Delete had returned succeeded: the deleted record was brought back", n)
				}
				c.wantNotFound(id, "after a Delete that raced with Commits, once they have all returned")
			},
		},
	}
}

// Toucher ----------------------------------------------------------------------

func toucherCases() []storeCase {
	return []storeCase{
		{
			name: "KeepsData",
			rule: "Touch changes the expiry only, never the data",
			run: func(c *storeT) {
				id := newID()
				data := randomBytes(300)
				c.save(id, data, c.longExpiry())
				if err := c.Touch(c.ctx, id, c.longExpiry().Add(time.Hour)); err != nil {
					c.Fatalf("Touch of a live record failed: %v", err)
				}
				c.wantData(id, data, "after Touch")
			},
		},
		{
			name: "Missing",
			rule: "Touch of a missing or deleted record returns vishnu.ErrNotFound and creates nothing",
			run: func(c *storeT) {
				never := newID()
				if err := c.Touch(c.ctx, never, c.longExpiry()); !errors.Is(err, vishnu.ErrNotFound) {
					c.Errorf("Touch of an id never saved returned %v, want vishnu.ErrNotFound", err)
				}
				c.wantNotFound(never, "after Touch of an id never saved")
				deleted := newID()
				c.save(deleted, []byte("x"), c.longExpiry())
				c.del(deleted)
				if err := c.Touch(c.ctx, deleted, c.longExpiry()); !errors.Is(err, vishnu.ErrNotFound) {
					c.Errorf("Touch of a deleted record returned %v, want vishnu.ErrNotFound", err)
				}
				c.wantNotFound(deleted, "after Touch of a deleted record")
			},
		},
	}
}

func commitConcurrentCreate(c *storeT) {
	const n, rounds = 8, 5
	for range rounds {
		id := newID()
		want := map[string]string{}
		for i := range n {
			want[fmt.Sprintf("f%d", i)] = fmt.Sprint(i)
		}
		c.goroutines(n, func(i int) {
			k := fmt.Sprintf("f%d", i)
			if err := c.Commit(c.ctx, id, &vishnu.Change{Create: true, Set: fields(k, want[k]), Expires: c.longExpiry()}); err != nil {
				c.Errorf("Commit %d of %d concurrent Commits creating one record failed: %v", i, n, err)
			}
		})
		if d := diffFields(c.fields(id), want); d != "" {
			c.Fatalf("Load(%s) after %d concurrent Commits with Create true of a new id, each setting its own field: %s (one created the record over another's)", short(id), n, d)
		}
	}
}
