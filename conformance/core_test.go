package conformance_test

import (
	"testing"
	"time"

	"github.com/vishnu-go/vishnu/conformance"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// The memory store keeps exact expiry times, so a fine resolution is honest
// and keeps the expiry cases short.
func TestMemoryStore(t *testing.T) {
	conformance.TestStore(t, func(t *testing.T) vishnu.Store {
		return vishnu.NewMemoryStore()
	}, conformance.StoreOptions{
		TTLResolution: 50 * time.Millisecond,
		Expiry:        conformance.BackendExpires, // it drops expired records as it is used
		Lacks:         conformance.RemoteBackend,  // its records live in the process
	})
}

func TestNetHTTP(t *testing.T) {
	conformance.TestAdapter(t, conformance.NetHTTP, conformance.AdapterOptions{})
}

func TestNetHTTPCookieStore(t *testing.T) {
	conformance.TestAdapter(t, conformance.NetHTTP, conformance.AdapterOptions{
		NewStore: func(*testing.T) vishnu.Store { return vishnu.NewCookieStore() },
	})
}
