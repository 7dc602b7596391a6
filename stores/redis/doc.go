// Package redisstore keeps Vishnu sessions in Redis: a standalone server,
// a Redis Cluster, a Sentinel-managed failover group or a Ring, through any
// [redis.UniversalClient] of github.com/redis/go-redis/v9. It needs Redis 6.2
// or later (for SET with PXAT).
//
// # Data layout
//
// Each session is one Redis string under the key prefix + id (the id is
// derived from the session token by Vishnu, so a dump of the database cannot
// be replayed as cookies), holding the session's record exactly as Vishnu
// gives it (see [vishnu.EncodeRecord]). The session's expiry is the key's
// Redis expiry, so Redis itself forgets expired sessions: nothing needs
// cleaning up. A hash per session would let Redis merge fields by itself, but
// a store must give back exactly the bytes it was given, which a hash cannot
// (it keeps no field order, and no empty record); the commit script merges
// records instead.
//
// # One round trip per operation
//
//   - Load is one GET, Save one SET with PXAT, Delete one DEL.
//   - Touch, which pushes the expiry back without rewriting data, is one
//     PEXPIREAT.
//   - Commit, the atomic merge of one request's changes (see
//     [vishnu.Committer]), is one Lua script: it checks that the session still
//     exists (so that a logged-out session stays logged out), deletes the
//     fields the request deleted, sets those it set and moves the expiry, all
//     inside Redis and atomically. Only the changed fields travel. Concurrent
//     requests on one session that change different keys therefore all keep
//     their changes.
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
// # Errors
//
// A session that does not exist (never saved, deleted or expired) is reported
// as [vishnu.ErrNotFound]. Every other failure (the server is down, a timeout,
// a cluster that cannot be reached, a cancelled context) is returned wrapped,
// so that errors.Is still sees the cause, and Vishnu answers the request with
// its error response instead of taking the failure for "no session".
package redisstore
