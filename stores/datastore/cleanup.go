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
// Entries of the index of sessions per user (see AddUserSession) that
// expired as long ago go the same way, within the same limit, once no
// dormant session is left: a call that finds none of either costs two
// queries.
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
	for _, kind := range []string{s.kind, s.entryKind()} {
		// With the limit used up, the query for one key still tells
		// whether this kind has any left.
		n, more, err := s.deleteDormant(ctx, kind, cutoff, limit)
		if err != nil || more {
			return false, err
		}
		limit -= n
	}
	return true, nil
}

// deleteDormant deletes up to limit entities of kind that expired at or
// before cutoff, and reports how many it deleted and whether more remain.
func (s *Store) deleteDormant(ctx context.Context, kind string, cutoff time.Time, limit int) (deleted int, more bool, err error) {
	keys, err := s.dormantKeys(ctx, kind, cutoff, limit+1)
	if err != nil {
		return 0, false, err
	}
	more = len(keys) > limit
	keys = keys[:min(len(keys), limit)]
	for rest := keys; len(rest) > 0; {
		batch := rest[:min(len(rest), deleteBatch)]
		rest = rest[len(batch):]
		if err := s.deleteKeys(ctx, batch); err != nil {
			return 0, false, err
		}
	}
	return len(keys), more, nil
}

// dormantKeys returns the keys of up to n entities of kind that expired at
// or before cutoff.
func (s *Store) dormantKeys(ctx context.Context, kind string, cutoff time.Time, n int) ([]*datastore.Key, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	// Expiries are stored rounded up to the microsecond; the cutoff is
	// rounded down, so that no session is deleted before it has been
	// dormant for dormantFor, even by a fraction of a microsecond.
	q := datastore.NewQuery(kind).
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
