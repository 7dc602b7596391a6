package pgstore_test

import (
	"sync"
	"testing"
	"time"

	"github.com/vishnu-go/vishnu/conformance"
	vishnu "github.com/vishnu-go/vishnu/core"
	pgstore "github.com/vishnu-go/vishnu/stores/postgres"
)

// storeOptions are what the store claims: expiry to the microsecond (so
// the suite may use short lifetimes), no size limit of its own (bytea
// takes up to 1 GB), expired records kept until Cleanup, errors rather than
// "not found" when the server cannot be reached or does not answer, and
// instances on other pools over the same tables that see each other's
// writes at once.
func storeOptions(url string, schemas *sync.Map) conformance.StoreOptions {
	return conformance.StoreOptions{
		TTLResolution:   100 * time.Millisecond,
		Expiry:          conformance.CleanupRemoves,
		NewUnavailable:  func(t *testing.T) vishnu.Store { return storeAt(t, closedAddr(t)) },
		NewUnresponsive: func(t *testing.T, addr string) vishnu.Store { return storeAt(t, addr) },
		NewSecondInstance: func(t *testing.T, first vishnu.Store) vishnu.Store {
			schema, ok := schemas.Load(first)
			if !ok {
				t.Fatalf("NewSecondInstance: %T is not a store of this test's factory", first)
			}
			// Its own pool, so its own connections: a second server.
			s, err := pgstore.New(newPool(t, url), pgstore.WithSchema(schema.(string)))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
}

// TestConformance runs the store suite, each subtest in a schema of its
// own.
func TestConformance(t *testing.T) {
	url := serverURL(t)
	pool := newPool(t, url)
	var schemas sync.Map // vishnu.Store -> its schema
	conformance.TestStore(t, func(t *testing.T) vishnu.Store {
		f := newStore(t, pool)
		schemas.Store(vishnu.Store(f.Store), f.schema)
		return f.Store
	}, storeOptions(url, &schemas))
}

// TestAdapterConformance runs the adapter suite through core's net/http
// middleware with the store: 100 concurrent requests on one session each
// setting its own key, a logout racing with writers, a store that cannot
// be reached, and the rest.
func TestAdapterConformance(t *testing.T) {
	pool := newPool(t, serverURL(t))
	conformance.TestAdapter(t, conformance.NetHTTP, conformance.AdapterOptions{
		NewStore:       func(t *testing.T) vishnu.Store { return newStore(t, pool).Store },
		NewUnavailable: func(t *testing.T) vishnu.Store { return storeAt(t, closedAddr(t)) },
	})
}
