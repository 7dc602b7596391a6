package conformance_test

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/vishnu-go/vishnu/conformance"
)

// recordingTB records how a test ended instead of ending it.
type recordingTB struct {
	testing.TB
	skipped, fatal string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func unavailable(t *testing.T) *recordingTB {
	r := &recordingTB{TB: t}
	var wg sync.WaitGroup
	wg.Go(func() { conformance.Unavailable(r, "redis at %s: connection refused", "127.0.0.1:6379") })
	wg.Wait()
	return r
}

func TestUnavailableSkipsOutsideCI(t *testing.T) {
	t.Setenv("CI", "")
	r := unavailable(t)
	if r.skipped == "" || r.fatal != "" {
		t.Fatalf("outside CI: skipped %q, fatal %q; want a skip", r.skipped, r.fatal)
	}
	if !strings.Contains(r.skipped, "redis at 127.0.0.1:6379: connection refused") {
		t.Fatalf("the skip does not give the reason: %q", r.skipped)
	}
}

func TestUnavailableFailsInCI(t *testing.T) {
	t.Setenv("CI", "true")
	r := unavailable(t)
	if r.fatal == "" || r.skipped != "" {
		t.Fatalf("with CI=true: skipped %q, fatal %q; want a failure", r.skipped, r.fatal)
	}
	if !strings.Contains(r.fatal, "redis at 127.0.0.1:6379: connection refused") {
		t.Fatalf("the failure does not give the reason: %q", r.fatal)
	}
}
