package conformance_test

import (
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
	"github.com/vishnu-go/vishnu/conformance"
)

// The memory store keeps exact expiry times, so a fine resolution is honest
// and keeps the expiry cases short.
func TestMemoryStore(t *testing.T) {
	conformance.TestStore(t, func(t *testing.T) vishnu.Store {
		return vishnu.NewMemoryStore()
	}, conformance.StoreOptions{TTLResolution: 50 * time.Millisecond})
}
