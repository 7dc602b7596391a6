package mapstore_test

import (
	"testing"
	"time"

	"github.com/vishnu-go/vishnu/conformance"
	"github.com/vishnu-go/vishnu/conformance/internal/mapstore"
	vishnu "github.com/vishnu-go/vishnu/core"
)

func newStore(*testing.T) vishnu.Store { return mapstore.New() }

func TestStoreConformance(t *testing.T) {
	conformance.TestStore(t, newStore, conformance.StoreOptions{
		TTLResolution: 50 * time.Millisecond, // the map keeps exact times
	})
}

func TestWithNetHTTP(t *testing.T) {
	conformance.TestAdapter(t, conformance.NetHTTP, conformance.AdapterOptions{NewStore: newStore})
}
