package conformance

import (
	"fmt"
	"os"
	"testing"
)

// Unavailable reports that a service a test needs (a Redis server, memcached
// nodes, the Datastore emulator) is missing. On a developer's machine the
// test is skipped with the reason; in CI, where the environment variable CI
// is "true" (GitHub Actions and most CI services set it), the test fails,
// since there a missing service is a broken setup that would otherwise pass
// unnoticed. It ends the test either way, so call it from the test's
// goroutine.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (a missing service fails the test when CI=true)", msg)
	}
	t.Skipf("%s (skipped; with CI=true this fails)", msg)
}
