package conformance

import (
	"fmt"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// Commits that keep the expiry -----------------------------------------------------
//
// Change.SameExpiry lets a store leave a record's expiry as it is. The
// records below are committed with SameExpiry set and the expiry they were
// saved with, once with an expiry the shared wait passes and once with one
// it does not: a store that keeps the expiry passes, one that rewrites the
// record without it (a TTL dropped) is caught. A record the Commit creates,
// or whose fields it replaces, must get Change.Expires.

func sameExpiryChecks() []expiryCheck {
	type committed struct {
		id, how  string
		outlives bool // the expiry is past the wait
		want     map[string]string
	}
	var (
		recs  []committed
		stale string
	)
	return []expiryCheck{{
		name:  "CommitSameExpiry",
		rule:  "a Commit with SameExpiry set may leave the record's expiry as it is, never drop it; one that creates the record (also over an expired one) or replaces its fields gives it Change.Expires",
		needs: capCommitter,
		setup: func(c *storeT) {
			for _, outlives := range []bool{false, true} {
				exp := c.shortExpiry()
				if outlives {
					exp = c.longExpiry()
				}
				merged, replaced, created := newID(), newID(), newID()
				c.save(merged, record("a", "1"), exp)
				c.commitOK(merged, &vishnu.Change{Set: fields("b", "2"), Expires: exp, SameExpiry: true})
				c.save(replaced, record("a", "1"), exp)
				c.commitOK(replaced, &vishnu.Change{Replace: true, Set: fields("b", "2"), Expires: exp, SameExpiry: true})
				c.commitOK(created, &vishnu.Change{Create: true, Set: fields("b", "2"), Expires: exp, SameExpiry: true})
				recs = append(recs,
					committed{merged, "merged into by", outlives, map[string]string{"a": "1", "b": "2"}},
					committed{replaced, "replaced by", outlives, map[string]string{"b": "2"}},
					committed{created, "created by", outlives, map[string]string{"b": "2"}})
			}
			stale = newID()
			c.save(stale, record("a", "1"), c.shortExpiry())
		},
		check: func(c *storeT) {
			for _, r := range recs {
				what := fmt.Sprintf("of a record %s a Commit with SameExpiry", r.how)
				if r.outlives {
					c.wantFields(r.id, r.want, what+", before its expiry")
				} else {
					c.wantNotFound(r.id, what+", past its expiry (the record lost its expiry)")
				}
			}
			c.commitOK(stale, &vishnu.Change{Create: true, Set: fields("b", "2"), Expires: c.longExpiry(), SameExpiry: true})
			c.wantFields(stale, map[string]string{"b": "2"}, "after a Commit with Create and SameExpiry over the expired record (did it keep the expired record's expiry?)")
		},
	}}
}
