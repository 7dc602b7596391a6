package mapstore

import (
	"testing"
	"time"

	"github.com/vishnu-go/vishnu/conformance"
	vishnu "github.com/vishnu-go/vishnu/core"
)

func newStore(*testing.T) vishnu.Store { return New() }

func TestStoreConformance(t *testing.T) {
	conformance.TestStore(t, newStore, conformance.StoreOptions{
		TTLResolution: 50 * time.Millisecond,      // the map keeps exact times
		Expiry:        conformance.CleanupRemoves, // expired records stay until Cleanup
		// No index of sessions per user, and the records live in the process.
		Lacks: conformance.UserIndex | conformance.RemoteBackend,
	})
}

func TestWithNetHTTP(t *testing.T) {
	conformance.TestAdapter(t, conformance.NetHTTP, conformance.AdapterOptions{NewStore: newStore})
}
