package datastorestore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cloud.google.com/go/datastore"
)

// The Datastore takes at most 500 mutations in one Commit, and, in its
// legacy mode, a transaction spans at most 25 entity groups (every session
// is a group of its own).
const (
	deleteBatch = 500
	txBatch     = 25
)

// maxCleanupLimit caps the entities one Cleanup call deletes, whatever
// limit it is given, so that one call stays a few requests long; a larger
// limit then just takes more calls, each of which reports truthfully
// whether more remain.
const maxCleanupLimit = 10 * deleteBatch

// Cleanup implements vishnu.Cleaner: it deletes the sessions that expired
// at least dormantFor ago, at most limit of them, and reports whether none
// such remain. A keys-only query on the indexed expiry finds up to limit+1
// of them (the one past the limit is how Cleanup knows, without a second
// query, that it has not finished), and transactions delete them, 25 at a
// time, each reading them again first. Each of these requests is bounded by the store's
// timeout (WithTimeout) on its own, since a large limit is the caller's
// choice; ctx bounds the whole call.
//
// Entries of the index of sessions per user (see AddUserSession) that
// expired as long ago go the same way, within the same limit, once no
// dormant session is left: a call that finds none of either costs two
// queries.
//
// The query's answer may be stale by the time the deletion runs: a Save
// may have brought an expired session back to life in between. So each
// transaction deletes only the entities that are still dormant when it
// reads them; one that a concurrent write makes it lose is run again.
//
// A limit above 5,000 deletes 5,000 per call; a limit of 0 deletes nothing
// and reports whether anything is left to delete. limit must not be
// negative, nor dormantFor.
func (s *Store) Cleanup(ctx context.Context, dormantFor time.Duration, limit int) (finished bool, err error) {
	if limit < 0 {
		return false, fmt.Errorf("datastorestore: cleanup: limit must not be negative, got %d", limit)
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
		batch := rest[:min(len(rest), txBatch)]
		rest = rest[len(batch):]
		if err := s.deleteStillDormant(ctx, batch, cutoff); err != nil {
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

// deleteStillDormant deletes, in one transaction, those of the entities
// of keys that expired at or before cutoff when it reads them, and runs it
// again when a concurrent write makes it lose, up to the store's attempts.
func (s *Store) deleteStillDormant(ctx context.Context, keys []*datastore.Key, cutoff time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	for attempt := 1; ; attempt++ {
		err := s.deleteDormantOnce(ctx, keys, cutoff)
		switch {
		case err == nil:
			return nil
		case !conflict(err):
			return fail(ctx, "cleanup: delete", err)
		case attempt == s.maxAttempts:
			return fmt.Errorf("%w (cleanup, %s): %w", ErrTooMuchContention, attempts(attempt), err)
		}
		if err := pause(ctx, attempt); err != nil {
			return fmt.Errorf("%w (cleanup, %s, then %w)", ErrTooMuchContention, attempts(attempt), err)
		}
	}
}

// deleteDormantOnce is one attempt of deleteStillDormant: a Lookup of the
// entities, which begins the transaction, and a Commit of the deletions.
func (s *Store) deleteDormantOnce(ctx context.Context, keys []*datastore.Key, cutoff time.Time) error {
	tx, err := s.client.NewTransaction(ctx, datastore.BeginLater)
	if err != nil {
		return err
	}
	props := make([]datastore.PropertyList, len(keys))
	// Entities deleted since the query are not an error.
	me, err := missingAllowed(tx.GetMulti(keys, props))
	var doomed []*datastore.Key
	for i, p := range props {
		if err == nil && (me == nil || me[i] == nil) && dormant(p, cutoff) {
			doomed = append(doomed, keys[i])
		}
	}
	if err == nil && len(doomed) > 0 {
		err = tx.DeleteMulti(doomed)
	}
	if err != nil {
		_ = tx.Rollback()
		return err
	}
	_, err = tx.Commit()
	return err
}

// dormant reports whether an entity's expiry is at or before cutoff, as
// the query compares it.
func dormant(p datastore.PropertyList, cutoff time.Time) bool {
	for _, prop := range p {
		if prop.Name == propExpires {
			exp, ok := prop.Value.(time.Time)
			return ok && !exp.After(cutoff.Truncate(time.Microsecond))
		}
	}
	return false
}

// missingAllowed returns the per-key errors of a GetMulti's err, and err
// unless every key it failed is only missing (datastore.ErrNoSuchEntity):
// then nil, and the caller tells the missing keys by me[i] != nil.
func missingAllowed(err error) (me datastore.MultiError, _ error) {
	if !errors.As(err, &me) {
		return nil, err
	}
	for _, e := range me {
		if e != nil && !errors.Is(e, datastore.ErrNoSuchEntity) {
			return me, e
		}
	}
	return me, nil
}
