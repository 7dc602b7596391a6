package pgstore

import (
	"context"
	"fmt"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

var _ vishnu.Cleaner = (*Store)(nil)

// Cleanup implements vishnu.Cleaner: it deletes the sessions that expired
// at least dormantFor ago, at most limit of them, and reports whether none
// such remain. One statement finds them by the expiry index, oldest first,
// locks them and deletes them, with their fields:
//
//   - rows locked by another transaction are skipped (FOR UPDATE SKIP
//     LOCKED), so the cleanup jobs of two replicas never wait for each
//     other, never deadlock and never delete a row twice; a row another
//     job holds is that job's to delete, so finished stays truthful;
//   - a session saved or committed live after the statement began is no
//     longer a candidate when its row is locked (PostgreSQL checks the
//     condition again on the row's latest version), so it is never
//     deleted;
//   - it asks for limit+1 rows and deletes limit, so finished needs no
//     second query.
//
// Entries of the index of sessions per user that expired as long ago go
// the same way, within the same limit, once no dormant session is left: a
// call that finds none of either costs two statements.
//
// A limit of 0 deletes nothing and reports whether anything is left to
// delete. limit and dormantFor must not be negative.
func (s *Store) Cleanup(ctx context.Context, dormantFor time.Duration, limit int) (finished bool, err error) {
	if limit < 0 {
		return false, fmt.Errorf("pgstore: cleanup: limit must not be negative, got %d", limit)
	}
	if dormantFor < 0 {
		return false, fmt.Errorf("pgstore: cleanup: dormantFor must not be negative, got %v", dormantFor)
	}
	// Stored expiries are rounded up to the microsecond: the cutoff is
	// rounded down, so that nothing goes before it has been dormant for
	// dormantFor.
	cutoff := time.Now().Add(-dormantFor).Round(0).Truncate(time.Microsecond)
	for _, q := range []string{s.sql.cleanup, s.sql.cleanupUsers} {
		var found, deleted int
		if err := s.pool.QueryRow(ctx, q, cutoff, limit).Scan(&found, &deleted); err != nil {
			return false, fail("cleanup", err)
		}
		if found > limit {
			return false, nil
		}
		// With the limit used up, the query of index entries still tells
		// whether any is left: it finds one and deletes none.
		limit -= deleted
	}
	return true, nil
}
