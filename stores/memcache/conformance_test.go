package memcachestore

import (
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/vishnu-go/vishnu/conformance"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// storeOptions is what the store documents about itself: whole-second
// expiry that memcached enforces itself, its item size limit, no index of
// sessions per user (memcached cannot list keys), errors rather than "not
// found" when a node is down or hangs (a call waits at most the client's
// Timeout, 500 ms by default, which the Unresponsive cases use).
func storeOptions() conformance.StoreOptions {
	return conformance.StoreOptions{
		TTLResolution: time.Second,
		Expiry:        conformance.BackendExpires,
		Lacks:         conformance.UserIndex,
		MaxRecordSize: 1048262, // Store.MaxRecordSize with the default item size
		LimitEnforced: true,
		NewUnavailable: func(t *testing.T) vishnu.Store {
			c := memcache.New(closedPort(t))
			c.Timeout = 200 * time.Millisecond
			s, err := New(c)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		NewUnresponsive: func(t *testing.T, addr string) vishnu.Store {
			c := memcache.New(addr) // the default Timeout
			t.Cleanup(func() { c.Close() })
			s, err := New(c)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
}

// TestConformance runs the store suite on one memcached node, and on all
// of them (a client with every server, keys spread over them), with second
// instances on clients of their own over the same prefix, as a second
// application server has.
func TestConformance(t *testing.T) {
	forEachTopology(t, func(t *testing.T, addrs []string) {
		opts := storeOptions()
		opts.NewSecondInstance = func(t *testing.T, first vishnu.Store) vishnu.Store {
			s, err := New(newClient(t, addrs...), WithPrefix(first.(*Store).prefix))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		conformance.TestStore(t, func(t *testing.T) vishnu.Store {
			return newTestStore(t, addrs)
		}, opts)
	})
}

// TestAdapterConformance drives core's net/http middleware over a real
// server and cookie jar with the store on every node: among its cases, 100
// concurrent requests on one session each setting its own key, and a logout
// racing with writers.
func TestAdapterConformance(t *testing.T) {
	addrs := testAddrs(t)
	conformance.TestAdapter(t, conformance.NetHTTP, conformance.AdapterOptions{
		NewStore: func(t *testing.T) vishnu.Store { return newTestStore(t, addrs) },
		NewUnavailable: func(t *testing.T) vishnu.Store {
			return storeOptions().NewUnavailable(t)
		},
	})
}
