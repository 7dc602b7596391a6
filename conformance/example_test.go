package conformance_test

import (
	"net"
	"testing"
	"time"

	"github.com/vishnu-go/vishnu/conformance"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// A store module's test runs the whole store suite with one call. Here the
// store is core's memory store, which drops expired records itself; a
// memcached store would pass time.Second as TTLResolution, its documented
// record limit, a client of a closed port as NewUnavailable, a client of
// the suite's silent listener as NewUnresponsive, and a store on another
// client with the same key prefix as NewSecondInstance.
func ExampleTestStore() {
	testConformance := func(t *testing.T) {
		conformance.TestStore(t, func(t *testing.T) vishnu.Store {
			return vishnu.NewMemoryStore()
		}, conformance.StoreOptions{
			TTLResolution: 10 * time.Millisecond,
			Expiry:        conformance.BackendExpires,
			Lacks:         conformance.RemoteBackend,
		})
	}
	_ = testConformance
}

// An adapter module's test runs the adapter suite with its ServeFunc; a
// store module runs it through NetHTTP on its real backend.
func ExampleTestAdapter() {
	testAdapter := func(t *testing.T) {
		conformance.TestAdapter(t, conformance.NetHTTP, conformance.AdapterOptions{
			NewStore: func(*testing.T) vishnu.Store { return vishnu.NewMemoryStore() },
		})
	}
	_ = testAdapter
}

// A test that needs a server skips on a laptop without it, and fails in CI.
func ExampleUnavailable() {
	newClient := func(t *testing.T, addr string) net.Conn {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			conformance.Unavailable(t, "redis at %s: %v", addr, err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	_ = newClient
}
