package datastorestore

import (
	"context"
	"sync"
)

// queue makes the transactions of one Store on one session take turns.
//
// Datastore transactions on one entity that overlap in time conflict, and
// all but one are rolled back and retried: with the client's default of 3
// attempts, 94 of 100 concurrent commits on one session fail on the
// emulator, and with enough attempts to save them all, each commit costs
// 11 round trips instead of 2 (25 through the client's RunInTransaction,
// which also rolls back every loser). Within one application server nothing
// is gained by letting them race, so they wait in line here instead, and
// only transactions of different servers can still conflict (which the
// retries in Commit absorb). Sessions that are not being written hold no
// entry.
type queue struct {
	mu    sync.Mutex
	turns map[string]*turn
}

// turn is the line of one session: a token that the transaction at the
// front holds, and how many callers hold or wait for it.
type turn struct {
	token chan struct{} // holds a value while a caller has the turn
	users int
}

// wait blocks until the caller's turn on id has come, or ctx is done. On
// success the caller must call the returned function when it is done.
func (q *queue) wait(ctx context.Context, id string) (done func(), err error) {
	q.mu.Lock()
	if q.turns == nil {
		q.turns = make(map[string]*turn)
	}
	t := q.turns[id]
	if t == nil {
		t = &turn{token: make(chan struct{}, 1)}
		q.turns[id] = t
	}
	t.users++
	q.mu.Unlock()

	select {
	case t.token <- struct{}{}:
		return func() { <-t.token; q.leave(id, t) }, nil
	case <-ctx.Done():
		q.leave(id, t)
		return nil, ctx.Err()
	}
}

// leave drops the caller from the line of id, and the line once it is
// empty.
func (q *queue) leave(id string, t *turn) {
	q.mu.Lock()
	if t.users--; t.users == 0 {
		delete(q.turns, id)
	}
	q.mu.Unlock()
}
