package redisstore_test

import (
	"os"
	"testing"
)

// unavailable skips t because a service it needs is missing, or fails it when
// CI=true, where every service must be there.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("service unavailable in CI: "+format, args...)
	}
	t.Skipf("service unavailable: "+format, args...)
}
