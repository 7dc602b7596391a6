package memcachestore

import (
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/vishnu-go/vishnu/conformance"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// storeOptions is what the store documents about itself.
func storeOptions() conformance.StoreOptions {
	return conformance.StoreOptions{
		TTLResolution: time.Second,
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
	}
}

// TestConformance runs the store suite on one memcached node, and on all
// of them (a client with every server, keys spread over them).
func TestConformance(t *testing.T) {
	forEachTopology(t, func(t *testing.T, addrs []string) {
		conformance.TestStore(t, func(t *testing.T) vishnu.Store {
			return newTestStore(t, addrs)
		}, storeOptions())
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
