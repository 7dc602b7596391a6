package vishnu

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by a Store when it holds no record for an id:
// never saved, deleted, or expired. Any other error means the store could not
// answer, and Vishnu never takes it for "no session".
var ErrNotFound = errors.New("vishnu: session record not found")

// Store keeps session records. A record is an opaque byte slice (see
// EncodeRecord) with an expiry time; the id is derived from the session token
// by a one-way hash, so a dump of the store cannot be replayed as cookies.
//
// These three methods are all a store must have; a few dozen lines over any
// key-value backend will do. Such a minimal store is committed by
// load-change-save, which is correct for one request at a time but can lose
// a concurrent request's changes; implement [Committer] to remove that window.
// The conformance module tests every guarantee listed here.
//
// Implementations must be safe for concurrent use and honour ctx.
type Store interface {
	// Load returns the record saved under id, or ErrNotFound when there is
	// none or it has expired. The caller keeps the slice but never modifies
	// it, so a store may return memory it shares, as long as the store
	// itself never modifies it afterwards.
	Load(ctx context.Context, id string) ([]byte, error)

	// Save writes the record under id, replacing any previous one, to expire
	// at expires. The store must not keep a reference to data.
	Save(ctx context.Context, id string, data []byte, expires time.Time) error

	// Delete removes the record. Deleting a missing record is not an error.
	Delete(ctx context.Context, id string) error
}

// Committer is the optional capability that makes concurrent requests on one
// session lose nothing: instead of writing a whole record it applies a
// [Change] (the keys a request set and deleted) to the record as it is now,
// atomically. A store that can, does it in one round trip (a Redis script, a
// memcached CAS loop, a lock in memory).
type Committer interface {
	// Commit applies c to the record under id atomically with respect to
	// other Commit, Save and Delete calls on that id. When the record does
	// not exist and c.Create is false it must change nothing and return
	// ErrNotFound: that is how a session destroyed by one request stays
	// destroyed when another request that loaded it commits afterwards.
	Commit(ctx context.Context, id string, c *Change) error
}

// Toucher is the optional capability to push a record's expiry back without
// rewriting its data. Without it, Vishnu refreshes expiry with Commit or Save.
type Toucher interface {
	// Touch sets the record's expiry to expires, or returns ErrNotFound when
	// there is no record.
	Touch(ctx context.Context, id string, expires time.Time) error
}

// Cleaner is the optional capability of stores whose backend does not expire
// records by itself (a database table, Cloud Datastore): it deletes records
// that expired at least dormantFor ago, at most limit of them per call, and
// reports whether none such remain, so a periodic job can call it in a loop:
//
//	for done := false; !done; {
//		if done, err = store.Cleanup(ctx, 24*time.Hour, 500); err != nil { ... }
//	}
type Cleaner interface {
	Cleanup(ctx context.Context, dormantFor time.Duration, limit int) (finished bool, err error)
}

// UserIndex is the optional capability of a store that keeps, for each
// user, the sessions bound to them (Session.Login): what lets a user see
// their sessions and end them (Manager.UserSessions, EndUserSessions).
//
// The index is advisory about liveness: core checks every listed session
// against its record before showing it, and drops entries whose record is
// gone, so an index may keep an entry after its session ended, up to the
// entry's expiry. What it must not do is lose an entry: every session added
// and not removed is listed until its expiry, whatever other calls for the
// same user run concurrently.
type UserIndex interface {
	// AddUserSession records that the session with store id belongs to
	// user, with info (opaque bytes the store keeps as they are), until
	// expires. Adding an id already listed replaces its info and expiry.
	AddUserSession(ctx context.Context, user, id string, info []byte, expires time.Time) error

	// RemoveUserSession drops id from user's entries. Removing an absent
	// entry is not an error.
	RemoveUserSession(ctx context.Context, user, id string) error

	// UserSessions returns user's unexpired entries, id to info; an empty
	// map (not an error) for a user with none.
	UserSessions(ctx context.Context, user string) (map[string][]byte, error)
}
