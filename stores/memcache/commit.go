package memcachestore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// Backoff between commit attempts: "equal jitter", half fixed and half
// random, doubling from baseBackoff up to maxBackoff. Racing writers then
// spread out quickly while a lone retry waits well under a millisecond.
const (
	baseBackoff = 500 * time.Microsecond
	maxBackoff  = 50 * time.Millisecond
)

// Commit implements [vishnu.Committer] with memcached's compare-and-swap:
//
//  1. gets the record with its CAS value (a miss gives no record);
//  2. applies the change to it with [vishnu.Change.Apply], which returns
//     [vishnu.ErrNotFound] when there is no record and the change may not
//     create one: nothing is written, so a destroyed session stays so;
//  3. writes the result with cas, which memcached refuses if the item
//     changed or vanished since step 1, or with add, which it refuses if
//     an item appeared meanwhile;
//  4. when refused, waits a short random time and starts again from step 1,
//     at most [WithMaxRetries] times, then returns an error wrapping
//     [ErrTooMuchContention].
//
// A change whose expiry is already past deletes the record. The context is
// checked before each step that talks to memcached and interrupts the wait
// between attempts.
func (s *Store) Commit(ctx context.Context, id string, c *vishnu.Change) error {
	key := s.key(id)
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("memcachestore: commit: %w", err)
		}
		err := s.commitOnce(ctx, key, c)
		if !errors.Is(err, errRaced) {
			return err
		}
		if attempt == s.maxRetries {
			return fmt.Errorf("%w (%d attempts)", ErrTooMuchContention, attempt+1)
		}
		if err := sleep(ctx, backoff(attempt)); err != nil {
			return fmt.Errorf("memcachestore: commit: %w", err)
		}
	}
}

// errRaced means another writer changed the record between our read and
// our write; the attempt may be retried.
var errRaced = errors.New("memcachestore: record changed during the commit")

func (s *Store) commitOnce(ctx context.Context, key string, c *vishnu.Change) error {
	it, err := s.client.Get(key) // gets: the item comes with its CAS value
	switch {
	case errors.Is(err, memcache.ErrCacheMiss):
		it = nil
	case err != nil:
		return fmt.Errorf("memcachestore: commit: %w", err)
	}
	var cur []byte
	if it != nil {
		cur = it.Value
	}
	rec, err := c.Apply(cur)
	if errors.Is(err, vishnu.ErrNotFound) {
		return vishnu.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("memcachestore: commit: %w", err)
	}

	exp, live := expiration(s.now(), c.Expires)
	if !live {
		if it == nil {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("memcachestore: commit: %w", err)
		}
		// Unconditional: whatever a racing writer did, this change, applied
		// after it, would leave a record already expired.
		if err := s.client.Delete(key); err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
			return fmt.Errorf("memcachestore: commit: delete an expired record: %w", err)
		}
		return nil
	}
	if err := s.checkSize(rec); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memcachestore: commit: %w", err)
	}
	if it == nil {
		err = s.client.Add(&memcache.Item{Key: key, Value: rec, Expiration: exp})
	} else {
		it.Value, it.Expiration = rec, exp
		err = s.client.CompareAndSwap(it)
	}
	switch {
	case err == nil:
		return nil
	// cas: EXISTS (changed) or NOT_FOUND (deleted or expired); add: NOT_STORED (created).
	case errors.Is(err, memcache.ErrCASConflict), errors.Is(err, memcache.ErrCacheMiss), errors.Is(err, memcache.ErrNotStored):
		return errRaced
	default:
		return s.writeError("commit", key, rec, err)
	}
}

// backoff returns the wait before retry number attempt+1.
func backoff(attempt int) time.Duration {
	d := maxBackoff
	if attempt < 10 {
		d = min(baseBackoff<<attempt, maxBackoff)
	}
	return d/2 + rand.N(d/2)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
