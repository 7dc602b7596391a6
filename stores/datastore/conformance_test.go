package datastorestore_test

import (
	"sync"
	"testing"
	"time"

	"github.com/vishnu-go/vishnu/conformance"
	vishnu "github.com/vishnu-go/vishnu/core"
	datastorestore "github.com/vishnu-go/vishnu/stores/datastore"
)

// storeOptions are what the store claims: exact expiry (microseconds, so
// the suite may use short lifetimes), records up to MaxRecordSize with
// larger ones refused, expired records kept until Cleanup, errors rather
// than "not found" when the Datastore cannot be reached or does not answer,
// and instances on other clients that see each other's writes at once. It
// lacks no guarantee (Lacks is zero): atomic commits, an index of sessions
// per user, a backend shared by every application server.
func storeOptions(namespaces *sync.Map) conformance.StoreOptions {
	return conformance.StoreOptions{
		TTLResolution: 200 * time.Millisecond,
		MaxRecordSize: datastorestore.MaxRecordSize,
		LimitEnforced: true,
		Expiry:        conformance.CleanupRemoves,
		NewUnavailable: func(t *testing.T) vishnu.Store {
			return unreachableStore(t, freeAddr(t))
		},
		NewUnresponsive: func(t *testing.T, addr string) vishnu.Store {
			return unreachableStore(t, addr)
		},
		NewSecondInstance: func(t *testing.T, first vishnu.Store) vishnu.Store {
			ns, ok := namespaces.Load(first)
			if !ok {
				t.Fatalf("NewSecondInstance: %T is not a store of this test", first)
			}
			// Its own client, so its own connection: a second server.
			c, _ := newClient(t)
			s, err := datastorestore.New(c, datastorestore.WithNamespace(ns.(string)))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
}

// TestConformance runs the store suite on the emulator, each subtest in a
// namespace of its own.
func TestConformance(t *testing.T) {
	c, _ := newClient(t)
	var namespaces sync.Map // *datastorestore.Store -> its namespace
	conformance.TestStore(t, func(t *testing.T) vishnu.Store {
		s, ns := newStore(t, c)
		namespaces.Store(vishnu.Store(s), ns)
		return s
	}, storeOptions(&namespaces))
}

// TestAdapterConformance runs the adapter suite through core's net/http
// middleware with the store on the emulator: 100 concurrent requests on
// one session each setting its own key, a logout racing with writers, a
// store that cannot be reached, and the rest.
func TestAdapterConformance(t *testing.T) {
	c, _ := newClient(t)
	conformance.TestAdapter(t, conformance.NetHTTP, conformance.AdapterOptions{
		NewStore: func(t *testing.T) vishnu.Store {
			s, _ := newStore(t, c)
			return s
		},
		NewUnavailable: func(t *testing.T) vishnu.Store { return unreachableStore(t, freeAddr(t)) },
	})
}

// unreachableStore returns a store whose client talks to addr, where no
// Datastore answers, with a timeout short enough for the suite's many
// calls.
func unreachableStore(t *testing.T, addr string) vishnu.Store {
	t.Helper()
	s, err := datastorestore.New(dialEmulator(t, addr, "", nil), datastorestore.WithTimeout(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
