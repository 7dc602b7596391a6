// Package conformance holds the test suites that every Vishnu store and every
// framework adapter must pass. They are exported so that the author of a
// custom store or adapter runs exactly the checks the project runs on its own.
//
// # Stores
//
// [TestStore] takes a factory and runs every rule of the [vishnu.Store]
// contract against a fresh store per named subtest, then the rules of each
// optional capability the store has ([vishnu.Committer], [vishnu.Toucher],
// [vishnu.Cleaner], [vishnu.UserIndex]). A guarantee the store lacks must be
// stated ([StoreOptions.Lacks], [StoreOptions.Expiry]): the Declared cases
// fail a store that lacks one silently, so a plain "go test" never prints
// ok for it; the cases of a missing capability are then skipped as
// "not-provided". A store call that never returns fails its subtest after
// [StoreOptions.Watchdog] instead of hanging the run. Every failure message
// starts with "rule broken:" and the rule.
//
//	func TestConformance(t *testing.T) {
//		conformance.TestStore(t, func(t *testing.T) vishnu.Store {
//			return mystore.New(...)
//		}, conformance.StoreOptions{
//			TTLResolution:     time.Second,
//			Expiry:            conformance.BackendExpires,
//			NewUnavailable:    ...,
//			NewUnresponsive:   ...,
//			NewSecondInstance: ...,
//		})
//	}
//
// [StoreOptions] also takes a second instance of the store over the same
// data (NewSecondInstance: what another application server has), a store
// on a backend that never answers (NewUnresponsive) and one on a backend
// that cannot be reached (NewUnavailable), all three required of a store
// whose data lives outside the process.
//
// # Store rules
//
// The subtests are named Group/Case. Beyond the round trip of any bytes,
// not-found, deletion and expiry (from under the TTL resolution to
// [vishnu.MaxTimeout], never early, never past), the rules that stores most
// often break are these:
//
//   - Returned memory is the caller's: no later call changes a slice Load
//     returned (RoundTrip/ResultsKept) or a listing of UserSessions
//     (UserIndex/ListingKept); a store may share memory, never reuse it.
//   - Names are exact bytes: ids (Isolation/Sessions, Isolation/Deletes),
//     field names (Committer/FieldNames) and user names
//     (UserIndex/Isolation, UserIndex/ExactNames) are never compared
//     without regard to case, accents or Unicode normal form, nor as SQL
//     LIKE or glob patterns; no field name is reserved, whatever its first
//     byte (Committer/ReservedNames).
//   - Writes are atomic and race-free: Commit merges under concurrency,
//     also when several create one record (Committer/ConcurrentCreate), and
//     every pair of Save, Commit, Touch and Delete on one record loses
//     nothing (Race).
//   - The index of sessions per user keeps every entry, however many
//     (UserIndex/ManyEntries), for lifetimes up to vishnu.MaxTimeout
//     (Expiry/UserEntriesLong), and lists each under its user only.
//   - Cleanup removes at most limit records, none with limit 0
//     (Cleaner/ZeroLimit), with an exact cutoff (Cleaner/ExactCutoff), and
//     never one saved live again while it runs (Cleaner/ResavedLive).
//   - A dead or hung backend is an error soon after the context's deadline
//     (Unavailable, Unresponsive: half a second at most), never "not found".
//
// # Adapters
//
// [TestAdapter] drives a real server on loopback with a real [net/http.Client]
// and cookie jar. The adapter's test provides a [ServeFunc] that starts its
// framework around a [vishnu.Manager] (made by the suite, one per case) and
// the suite's [Handler]; the suite then checks what a browser would see:
// cookie attributes, rejected cookies, regeneration, logout, auto-save, no
// needless writes, timeouts, flashes, streaming, a failing store and
// concurrent requests on one session. The cases then run again with the
// session's token in a request header ("Header/…", and the round trip as a
// bearer token, "Bearer/…"), so an adapter must read request headers and
// answer the token header on every path. [NetHTTP] is the ServeFunc of
// core's own net/http middleware and the reference for writing one.
//
// # Missing services
//
// Tests that need a server (Redis, memcached) call [Unavailable] when it is not
// there: the test is skipped on a laptop and fails in CI.
package conformance
