// Package conformance holds the test suites that every Vishnu store and every
// framework adapter must pass. They are exported so that the author of a
// custom store or adapter runs exactly the checks the project runs on its own.
//
// # Stores
//
// [TestStore] takes a factory and runs every rule of the [vishnu.Store]
// contract against a fresh store per named subtest, then the rules of each
// optional capability the store has ([vishnu.Committer], [vishnu.Toucher],
// [vishnu.Cleaner], [vishnu.UserIndex]). A capability the store lacks is reported as a skipped
// "not-provided" subtest, so the test output says which guarantees the store
// does not give. A store call that never returns fails its subtest after
// [StoreOptions.Watchdog] instead of hanging the run. Every failure message
// starts with the rule that broke.
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
// that cannot be reached (NewUnavailable); the cases that need them are
// reported as not provided without them.
//
// # Adapters
//
// [TestAdapter] drives a real server on loopback with a real [net/http.Client]
// and cookie jar. The adapter's test provides a [ServeFunc] that starts its
// framework around a [vishnu.Manager] (made by the suite, one per case) and
// the suite's [Handler]; the suite then checks what a browser would see:
// cookie attributes, rejected cookies, regeneration, logout, auto-save, no
// needless writes, timeouts, flashes, streaming, a failing store and
// concurrent requests on one session. [NetHTTP] is the ServeFunc of core's own
// net/http middleware and the reference for writing one.
//
// # Missing services
//
// Tests that need a server (Redis, memcached) call [Unavailable] when it is not
// there: the test is skipped on a laptop and fails in CI.
package conformance
