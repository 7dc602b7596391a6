package datastorestore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"cloud.google.com/go/datastore"
	vishnu "github.com/vishnu-go/vishnu/core"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Commit implements vishnu.Committer: in one transaction it reads the
// session's entity, applies the change to its record (vishnu.Change.Apply)
// and writes the result with the change's expiry. That is two round trips:
// the Lookup begins the transaction (the client's BeginLater option), and
// the Commit ends it. When the session has no live entity and c.Create is
// false, Commit writes nothing, rolls the transaction back (a third round
// trip) and returns vishnu.ErrNotFound: a session destroyed by one request
// is not brought back by another that loaded it before.
//
// Two transactions on one session conflict when they overlap, and the
// Datastore makes one of them fail. Commits of one Store on one session
// therefore wait for each other (in the caller's context) instead of
// racing, and a transaction that loses to another application server is
// run again after a short random pause, up to the attempts WithMaxAttempts
// allows; then Commit returns an error wrapping ErrTooMuchContention.
func (s *Store) Commit(ctx context.Context, id string, c *vishnu.Change) error {
	return s.update(ctx, "commit", id, func(current []byte) (*entity, error) {
		rec, err := c.Apply(current)
		if err != nil {
			return nil, err
		}
		if err := checkSize(len(rec)); err != nil {
			return nil, err
		}
		return &entity{Data: rec, Expires: storedExpiry(c.Expires)}, nil
	})
}

// Touch implements vishnu.Toucher: a transaction that reads the session's
// entity and writes it back with the new expiry, so that a Commit running
// at the same time is either seen or retried, never undone. It takes two
// round trips (Lookup, then Commit, or Rollback when the session has no
// live entity, for which Touch returns vishnu.ErrNotFound). The record
// travels back to the Datastore because a write replaces a whole entity:
// the Datastore's property masks would avoid it, but the emulator ignores
// them, so they could not be tested.
func (s *Store) Touch(ctx context.Context, id string, expires time.Time) error {
	return s.update(ctx, "touch", id, func(current []byte) (*entity, error) {
		if current == nil {
			return nil, vishnu.ErrNotFound
		}
		return &entity{Data: current, Expires: storedExpiry(expires)}, nil
	})
}

// update runs a read-modify-write transaction on the entity of id, taking
// its turn among the Store's transactions on id, and retrying on conflict
// with other writers. next gets the live record (nil when there is none)
// and returns the entity to write, or an error to write nothing.
func (s *Store) update(ctx context.Context, op, id string, next func(current []byte) (*entity, error)) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	done, err := s.queue.wait(ctx, id)
	if err != nil {
		return fail(ctx, op+": waiting for this session's transaction in progress", err)
	}
	defer done()

	key := s.key(id)
	for attempt := 1; ; attempt++ {
		err := s.attempt(ctx, key, next)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, vishnu.ErrNotFound):
			return vishnu.ErrNotFound
		case errors.Is(err, ErrTooLarge):
			return err
		case !conflict(err):
			return fail(ctx, op, err)
		case attempt == s.maxAttempts:
			return fmt.Errorf("%w (%s, %s): %w", ErrTooMuchContention, op, attempts(attempt), err)
		}
		if err := pause(ctx, attempt); err != nil {
			return fmt.Errorf("%w (%s, %s, then %w)", ErrTooMuchContention, op, attempts(attempt), err)
		}
	}
}

// conflict reports whether err is a transaction that lost to a concurrent
// one: its Commit aborted (which the client reports as
// ErrConcurrentTransaction), or, on Firestore with pessimistic concurrency,
// its Lookup aborted while waiting for another transaction's lock.
func conflict(err error) bool {
	return errors.Is(err, datastore.ErrConcurrentTransaction) || status.Code(err) == codes.Aborted
}

func attempts(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return fmt.Sprintf("%d attempts", n)
}

// attempt runs the transaction once. It returns an error for which
// conflict is true when another writer changed the entity between the
// Lookup and the Commit.
func (s *Store) attempt(ctx context.Context, key *datastore.Key, next func(current []byte) (*entity, error)) error {
	// BeginLater: no BeginTransaction round trip; the Lookup starts the
	// transaction and returns its id.
	tx, err := s.client.NewTransaction(ctx, datastore.BeginLater)
	if err != nil {
		return err
	}
	var e entity
	var current []byte
	switch err := tx.Get(key, &e); {
	case errors.Is(err, datastore.ErrNoSuchEntity):
	case err != nil:
		// Usually the Lookup failed, so no transaction was started and
		// Rollback sends nothing.
		_ = tx.Rollback()
		return err
	case e.live(time.Now()):
		current = e.Data
		if current == nil {
			current = []byte{}
		}
	}
	write, err := next(current)
	if err == nil {
		_, err = tx.Put(key, write)
	}
	if err != nil {
		// Release what the Lookup locked (Firestore locks what a
		// read-write transaction reads) rather than wait for the
		// transaction to time out.
		_ = tx.Rollback()
		return err
	}
	_, err = tx.Commit()
	if err != nil && !conflict(err) {
		// The outcome is unknown (a timeout, the backend gone): release
		// the transaction if the backend is there to hear it. An aborted
		// transaction, the other case, has already ended.
		_ = tx.Rollback()
	}
	return err
}

// Pauses between attempts are random ("full jitter"), so that writers that
// conflicted once do not meet again, and grow with each attempt up to
// maxPause.
const (
	firstPause = 10 * time.Millisecond
	maxPause   = 500 * time.Millisecond
)

// pause waits before attempt+1, or until ctx is done.
func pause(ctx context.Context, attempt int) error {
	limit := maxPause
	if attempt < 16 {
		limit = min(maxPause, firstPause<<(attempt-1))
	}
	t := time.NewTimer(rand.N(limit) + time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
