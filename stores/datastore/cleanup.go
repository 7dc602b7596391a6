package datastorestore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cloud.google.com/go/datastore"
)

// The Datastore takes at most 500 mutations in one Commit.
const deleteBatch = 500

// maxCleanupLimit caps the entities one Cleanup call deletes, whatever
// limit it is given, so that one call stays a few requests long; a larger
// limit then just takes more calls, each of which reports truthfully
// whether more remain.
const maxCleanupLimit = 10 * deleteBatch

// Cleanup implements vishnu.Cleaner: it deletes the sessions that expired
// at least dormantFor ago, at most limit of them, and reports whether none
// such remain. A keys-only query on the indexed expiry finds up to limit+1
// of them (the one past the limit is how Cleanup knows, without a second
// query, that it has not finished), and non-transactional Commits delete
// them, 500 at a time. Each of these requests is bounded by the store's
// timeout (WithTimeout) on its own, since a large limit is the caller's
// choice; ctx bounds the whole call.
//
// Deleting without a transaction cannot remove a session that came back to
// life between the query and the deletion, because none can: Commit and
// Touch treat an expired session as missing, and Vishnu saves records only
// under fresh ids.
//
// A limit above 5,000 deletes 5,000 per call. limit must be positive and
// dormantFor not negative.
func (s *Store) Cleanup(ctx context.Context, dormantFor time.Duration, limit int) (finished bool, err error) {
	if limit < 1 {
		return false, fmt.Errorf("datastorestore: cleanup: limit must be positive, got %d", limit)
	}
	if dormantFor < 0 {
		return false, fmt.Errorf("datastorestore: cleanup: dormantFor must not be negative, got %v", dormantFor)
	}
	limit = min(limit, maxCleanupLimit)
	cutoff := time.Now().Add(-dormantFor)

	keys, err := s.dormantKeys(ctx, cutoff, limit+1)
	if err != nil {
		return false, err
	}
	finished = len(keys) <= limit
	keys = keys[:min(len(keys), limit)]
	for len(keys) > 0 {
		batch := keys[:min(len(keys), deleteBatch)]
		keys = keys[len(batch):]
		if err := s.deleteKeys(ctx, batch); err != nil {
			return false, err
		}
	}
	return finished, nil
}

// dormantKeys returns the keys of up to n sessions that expired at or
// before cutoff.
func (s *Store) dormantKeys(ctx context.Context, cutoff time.Time, n int) ([]*datastore.Key, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	// Expiries are stored rounded up to the microsecond; the cutoff is
	// rounded down, so that no session is deleted before it has been
	// dormant for dormantFor, even by a fraction of a microsecond.
	q := datastore.NewQuery(s.kind).
		Namespace(s.namespace).
		FilterField(propExpires, "<=", cutoff.Truncate(time.Microsecond)).
		KeysOnly().
		Limit(n)
	keys, err := s.client.GetAll(ctx, q, nil)
	if err != nil {
		return nil, fail(ctx, "cleanup: query", err)
	}
	return keys, nil
}

// deleteKeys deletes the entities of keys in one Commit.
func (s *Store) deleteKeys(ctx context.Context, keys []*datastore.Key) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	err := s.client.DeleteMulti(ctx, keys)
	var me datastore.MultiError
	if errors.As(err, &me) {
		// Errors per key: report the first.
		err = nil
		for _, e := range me {
			if e != nil {
				err = e
				break
			}
		}
	}
	if err != nil {
		return fail(ctx, "cleanup: delete", err)
	}
	return nil
}
