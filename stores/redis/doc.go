// Package redisstore keeps Vishnu sessions in Redis: a standalone server,
// a Redis Cluster, a Sentinel-managed failover group or a Ring, through any
// [redis.UniversalClient] of github.com/redis/go-redis/v9. It needs Redis 4.0
// or later (for HSET of several fields) and is tested on Redis 7.0.
//
// # Data layout
//
// Each session is one Redis hash under the key prefix + id (the id is
// derived from the session token by Vishnu, so a dump of the database cannot
// be replayed as cookies). Its fields:
//
//   - "@", the base: the record exactly as Save was last given it (see
//     [vishnu.EncodeRecord]), so that Load gives back the very bytes saved;
//   - "." + name for each field of the record that a commit has written
//     since: "=" + value for a field set, an empty value for a field deleted
//     (which hides the base's);
//   - "#", empty, in every hash that holds a record (Save leaves it out when
//     it is given bytes that are not a record, which a commit must then
//     refuse, as [vishnu.Change.Apply] does).
//
// Load reads the hash and, when commits have written fields, applies them to
// the base with [vishnu.Change.Apply]: the record it returns is the one that
// merging each commit into the whole record would have made. A commit writes
// only the fields it changes, never reading the record back, so it costs the
// same in a session of one key or of a hundred. The base keeps the old value
// of a field set since, and a deleted field leaves its marker, until the
// session is next saved whole, replaced or expires. The session's expiry is
// the key's Redis expiry, so Redis itself forgets expired sessions: nothing
// needs cleaning up.
//
// Sessions written by the previous layout, a Redis string holding the record
// under the same key, are read, not dropped: Load falls back to GET when the
// key holds a string (one round trip more), and the first commit makes that
// string the base of a hash. An upgrade therefore logs nobody out. (A key
// prefix of its own for the new layout would have lost every live session,
// and with it every visitor's login, at once.) The string is taken to be a
// record, as every string the previous layout wrote through Vishnu was.
// During a rolling upgrade, an instance still running the previous version
// fails on sessions that a new one has written: upgrade every instance at
// once.
//
// # One round trip per operation
//
//   - Load is one HGETALL, Delete one DEL.
//   - Save is one transaction: MULTI, DEL, HSET, PEXPIREAT, EXEC, so that a
//     concurrent Load sees the old record or the new one, never none.
//     (go-redis sends transactions over its pipeline connection pool.)
//   - Touch, which pushes the expiry back without rewriting data, is one
//     PEXPIREAT.
//   - Commit, the atomic merge of one request's changes (see
//     [vishnu.Committer]), is one Lua script: it writes the fields the
//     request set and deleted with one HSET, and moves the expiry with
//     PEXPIREAT, atomically, unless the change keeps it
//     ([vishnu.Change.SameExpiry]). HSET's count of new fields is the
//     existence check: "#" is new only when there was no record, in which
//     case a change that may not create it is undone, so that a logged-out
//     session stays logged out. Only the changed fields travel. Concurrent
//     requests on one session that change different keys therefore all keep
//     their changes.
//
// A request that changes its session thus executes three Redis commands, as
// INFO commandstats counts them: HGETALL, then EVALSHA running HSET; four,
// with PEXPIREAT, when Vishnu refreshes the expiry (once a tenth of the
// timeout has passed since the last time). Two is not reached on Redis 7.0
// without giving up a guarantee. The load is needed, so the commit would have
// to be one command, and a script counts as one besides the commands it runs
// (a transaction, MULTI and EXEC besides its commands).
// Every command that writes hash fields (HSET, HSETNX, HINCRBY) or appends
// (APPEND, SETRANGE, XADD without NOMKSTREAM) creates a missing key, without
// an expiry: it would bring back a session destroyed or expired meanwhile and
// leave a key that never expires. The writes that need the key to exist are
// SET XX, which writes the whole record and so loses a concurrent request's
// changes, and RPUSHX or XADD NOMKSTREAM, which could keep a log of changes
// but one that needs compacting by further commands (so more than two on
// average) and makes every Load read and apply the changes since.
//
// The script is run with EVALSHA, and sent whole with EVAL only when the
// server does not know it yet: the first Commit on each server (and the first
// after a restart or SCRIPT FLUSH) costs one extra round trip. Call
// [Store.Preload] at start-up to avoid even that.
//
// Every operation touches exactly one key, so the store works unchanged on a
// Redis Cluster. A key prefix containing a hash tag ("{sessions}:") would put
// every session in one slot; the default does not.
//
// Listing a user's sessions ([Store.UserSessions]) also checks their
// records, to drop the entries of sessions that ended or expired: one
// script call on one server, and on a cluster whose prefix has a hash tag;
// three round trips on a cluster whose keys are spread.
//
// # Errors
//
// A session that does not exist (never saved, deleted or expired) is reported
// as [vishnu.ErrNotFound]. Every other failure (the server is down, a timeout,
// a cluster that cannot be reached, a cancelled context, a key this store did
// not write) is returned wrapped, so that errors.Is still sees the cause, and
// Vishnu answers the request with its error response instead of taking the
// failure for "no session".
package redisstore
