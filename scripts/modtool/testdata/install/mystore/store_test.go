package mystore

import (
	"testing"
	"time"

	"github.com/vishnu-go/vishnu/conformance"
	vishnu "github.com/vishnu-go/vishnu/core"
)

func TestConformance(t *testing.T) {
	conformance.TestStore(t, func(*testing.T) vishnu.Store { return New() },
		conformance.StoreOptions{
			TTLResolution: 50 * time.Millisecond,
			Expiry:        conformance.CleanupRemoves, // expired records stay until Cleanup
			// Load-change-save commits, no index of sessions per user, and
			// the records live in the process.
			Lacks: conformance.AtomicCommits | conformance.UserIndex | conformance.RemoteBackend,
		})
}
