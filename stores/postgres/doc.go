// Package pgstore keeps Vishnu sessions in PostgreSQL, through a
// [pgxpool.Pool] of github.com/jackc/pgx/v5. It implements every optional
// capability of a Vishnu store: [vishnu.Committer], [vishnu.Toucher],
// [vishnu.Cleaner] and [vishnu.UserIndex].
//
// # Schema
//
// [Store.Migrate] creates the tables and functions the store needs (or
// [Store.SchemaSQL] returns them for a migration tool): a row per session,
// a row per field of a session, a row per entry of the index of sessions
// per user, and the functions that save and commit. Names are configurable
// (see [WithSchema], [WithTable]).
//
// # Cost follows the change
//
// A session's record (see [vishnu.EncodeRecord]) is kept one field per
// row, so that a request that changes one field of a session of a hundred
// writes one row, not the hundred. Load reads them back in the order they
// were saved, so that it returns exactly the bytes Save was given; bytes
// that are not a record in Vishnu's form are kept whole.
//
// # One round trip per operation
//
// Each call is one statement: Load a query, Save and Commit a call of a
// function Migrate created, Touch an UPDATE, Delete a DELETE. Commit, the
// atomic merge of one request's changes (see [vishnu.Committer]), locks
// the session's row, so that concurrent requests on one session take
// turns and each keeps its changes; it never recreates a session that was
// deleted meanwhile unless the change may create it. There is no
// client-side transaction, so no connection is held across round trips.
// pgx prepares each statement once per connection, which costs one more
// round trip the first time a connection runs it.
//
// # Expiry
//
// PostgreSQL does not expire rows by itself: every read treats a session
// whose expiry has passed as missing, and [Store.Cleanup] deletes those
// that expired some time ago, a batch at a time, from a periodic job.
// Expiries are compared with the application server's clock.
//
// # Errors
//
// A session that does not exist (never saved, deleted or expired) is
// reported as [vishnu.ErrNotFound]. Every other failure (the server down,
// a deadline, a missing schema) is returned wrapped, so that errors.Is
// still sees the cause, and Vishnu answers with its error response instead
// of taking the failure for "no session". Every call honours its context's
// deadline, also against a server that accepts connections and never
// answers.
package pgstore
