// Package memcachestore keeps Vishnu sessions in memcached, on one server or
// spread over several, through github.com/bradfitz/gomemcache.
//
//	client := memcache.New("10.0.0.1:11211", "10.0.0.2:11211")
//	store, err := memcachestore.New(client)
//	if err != nil { ... }
//	sessions, err := vishnu.New(vishnu.Config{Store: store, Secret: secret})
//
// # Guarantees
//
// Concurrent requests on one session lose no change: commits are merged
// into the record as it is in memcached with gets and cas, retried a bounded
// number of times on conflict (see [Store.Commit]). A session deleted by a
// logout is never brought back by a request that was in flight.
//
// Expiry is enforced by memcached. A record never expires before the time
// Vishnu asked for, and at most two seconds after it; lifetimes over 30
// days are sent as absolute times, as the memcached protocol requires.
//
// A record must fit in a memcached item, 1 MiB by default with its key and
// header: records up to [Store.MaxRecordSize] bytes (1,048,262 by default;
// see [WithMaxItemSize]) are accepted, and a larger one fails with an error
// wrapping [ErrTooLarge] that names the limit, before anything is sent.
//
// A user's sessions are ended without an index (memcached cannot list
// keys): Store keeps a generation per user ([vishnu.UserGenerations]), so
// that Manager.EndUserSessions (a password change) and EndUserSession work,
// at the cost of one get per request of a logged-in session. Listing a
// user's sessions (Manager.UserSessions) needs an index, and returns
// vishnu.ErrNoUserIndex. An evicted generation ends the user's sessions.
//
// memcached keeps nothing on disk and drops items to make room when full:
// give it enough memory for the sessions, and expect a restarted server to
// have forgotten the sessions it held (their visitors get new sessions).
// A server that is down makes requests on the sessions it holds fail with
// Vishnu's error response; see [Store] for why they are not moved.
package memcachestore
