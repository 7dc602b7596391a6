package conformance_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vishnu-go/vishnu/conformance"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// The suites prove they can fail: each broken store (and broken adapter
// harness) below is run through the suite in a child process, since a suite
// that fails must fail a real *testing.T, and the child's output must show
// the subtests that catch the bug failing, each with a message that names
// the rule it broke.

// brokenEnv names, in a child process, the broken implementation to test.
const brokenEnv = "VISHNU_CONFORMANCE_BROKEN"

type brokenStore struct {
	bug    bug
	name   string
	caught []string // subtests of TestStore that must fail
	opts   conformance.StoreOptions
}

// selfTestOptions keeps the child runs short: in-process stores keep exact
// times, and a hang is known after a second.
var selfTestOptions = conformance.StoreOptions{TTLResolution: 50 * time.Millisecond, Watchdog: time.Second}

func brokenStores() []brokenStore {
	withLimit := selfTestOptions
	withLimit.MaxRecordSize, withLimit.LimitEnforced = 1024, true
	withDown := selfTestOptions
	withDown.NewUnavailable = func(*testing.T) vishnu.Store { s := newFaulty(errorsAsNotFound); s.down = true; return s }
	return []brokenStore{
		{ignoresExpiry, "ignores-expiry", []string{"Expiry/Honoured", "Expiry/SaveSetsExpiry", "Expiry/CommitSetsExpiry", "Expiry/CommitDoesNotResurrect", "Expiry/TouchSetsExpiry", "Expiry/TouchDoesNotResurrect"}, selfTestOptions},
		{errorsAsNotFound, "errors-as-not-found", []string{"Context/Cancelled", "Context/DeadlineExceeded", "Unavailable/Load"}, withDown},
		{ignoresContext, "ignores-context", []string{"Context/Cancelled", "Context/DeadlineExceeded"}, selfTestOptions},
		{losesCommits, "loses-commits", []string{"Committer/ConcurrentKeys", "Committer/ConcurrentDeletes"}, selfTestOptions},
		{resurrects, "resurrects-deleted", []string{"Committer/NoResurrection", "Committer/Replace", "Committer/DestroyWins", "Expiry/CommitDoesNotResurrect"}, selfTestOptions},
		{crosstalk, "crosstalk", []string{"Isolation/Sessions"}, selfTestOptions},
		{hangs, "hangs", []string{"Delete/Idempotent"}, selfTestOptions},
		{aliases, "keeps-caller-slice", []string{"RoundTrip/CallerOwnsSlices"}, selfTestOptions},
		{truncates, "truncates-past-limit", []string{"RoundTrip/TooLarge"}, withLimit},
		{touchCreates, "touch-creates", []string{"Toucher/Missing", "Expiry/TouchDoesNotResurrect"}, selfTestOptions},
		{cleanupNoLimit, "cleanup-ignores-limit", []string{"Cleaner/Limit"}, selfTestOptions},
		{cleanupNoDormant, "cleanup-ignores-dormant-for", []string{"Cleaner/DormantFor"}, selfTestOptions},
		{cleanupAlwaysDone, "cleanup-always-finished", []string{"Cleaner/Limit", "Cleaner/Finished"}, selfTestOptions},
	}
}

// TestBrokenStoreChild runs the store suite on the broken store named by
// the environment; TestSuiteCatchesBrokenStores runs it in a child process.
func TestBrokenStoreChild(t *testing.T) {
	name := os.Getenv(brokenEnv)
	if name == "" {
		t.Skip("run by TestSuiteCatchesBrokenStores in a child process")
	}
	if name == "correct" {
		conformance.TestStore(t, func(*testing.T) vishnu.Store { return newFaulty(noBug) }, selfTestOptions)
		return
	}
	for _, b := range brokenStores() {
		if b.name == name {
			conformance.TestStore(t, func(*testing.T) vishnu.Store {
				s := newFaulty(b.bug)
				s.limit = b.opts.MaxRecordSize
				return s
			}, b.opts)
			return
		}
	}
	t.Fatalf("no broken store %q", name)
}

func TestSuiteCatchesBrokenStores(t *testing.T) {
	t.Run("correct", func(t *testing.T) {
		t.Parallel()
		out, err := runChild(t, "TestBrokenStoreChild", "correct")
		if err != nil || len(failures(out)) > 0 {
			t.Fatalf("the store suite fails a correct store (%v):\n%s", err, out)
		}
	})
	for _, b := range brokenStores() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			out, err := runChild(t, "TestBrokenStoreChild", b.name)
			if err == nil {
				t.Fatalf("the store suite passes the broken store %q:\n%s", b.name, out)
			}
			wantCaught(t, out, "TestBrokenStoreChild", b.name, b.caught)
		})
	}
}

// A minimal store ---------------------------------------------------------------

// minimalStore has the three methods of a Store and nothing else.
type minimalStore struct{ vishnu.Store }

// TestMinimalStoreChild runs both suites on a store with no optional
// capability; TestSuiteReportsMissingGuarantees runs it in a child process.
func TestMinimalStoreChild(t *testing.T) {
	if os.Getenv(brokenEnv) != "minimal" {
		t.Skip("run by TestSuiteReportsMissingGuarantees in a child process")
	}
	newStore := func(*testing.T) vishnu.Store { return minimalStore{vishnu.NewMemoryStore()} }
	t.Run("Store", func(t *testing.T) { conformance.TestStore(t, newStore, selfTestOptions) })
	t.Run("Adapter", func(t *testing.T) {
		conformance.TestAdapter(t, conformance.NetHTTP, conformance.AdapterOptions{NewStore: newStore})
	})
}

// TestSuiteReportsMissingGuarantees checks that a store with only Load, Save
// and Delete passes, and that the output says which guarantees it lacks.
func TestSuiteReportsMissingGuarantees(t *testing.T) {
	t.Parallel()
	out, err := runChild(t, "TestMinimalStoreChild", "minimal", "-test.v")
	if err != nil {
		t.Fatalf("the suites fail a minimal store (%v):\n%s", err, out)
	}
	for _, skip := range []string{
		"Store/Committer/not-provided", "Store/Toucher/not-provided", "Store/Cleaner/not-provided",
		"Store/Unavailable/not-provided", "Adapter/Concurrent/Writers",
	} {
		if !strings.Contains(out, "--- SKIP: TestMinimalStoreChild/"+skip+" ") {
			t.Errorf("the output does not report %s as skipped", skip)
		}
	}
	if !strings.Contains(out, "not provided: the store is not a vishnu.Committer") {
		t.Errorf("the adapter suite does not say why concurrent writers are not checked")
	}
	if t.Failed() {
		t.Logf("output of the child process:\n%s", out)
	}
}

// Adapters ---------------------------------------------------------------------

type brokenAdapter struct {
	name   string
	caught []string // subtests of TestAdapter that must fail
	serve  conformance.ServeFunc
}

func brokenAdapters() []brokenAdapter {
	return []brokenAdapter{
		{"nil-session", []string{"Cookie/Defaults", "AutoSave/On", "Flash/Once"}, serveNilSession},
		{"buffers-response", []string{"Stream/CarriesCookie"}, serveBuffered},
		{"ignores-commit-error", []string{"StoreDown/ErrorResponse", "StoreDown/SaveFails"}, serveIgnoringCommitErrors},
	}
}

// TestBrokenAdapterChild runs the adapter suite on the broken harness named
// by the environment; TestSuiteCatchesBrokenAdapters runs it in a child
// process.
func TestBrokenAdapterChild(t *testing.T) {
	name := os.Getenv(brokenEnv)
	if name == "" {
		t.Skip("run by TestSuiteCatchesBrokenAdapters in a child process")
	}
	for _, b := range brokenAdapters() {
		if b.name == name {
			conformance.TestAdapter(t, b.serve, conformance.AdapterOptions{Watchdog: 10 * time.Second})
			return
		}
	}
	t.Fatalf("no broken adapter %q", name)
}

func TestSuiteCatchesBrokenAdapters(t *testing.T) {
	for _, b := range brokenAdapters() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			out, err := runChild(t, "TestBrokenAdapterChild", b.name)
			if err == nil {
				t.Fatalf("the adapter suite passes the broken harness %q:\n%s", b.name, out)
			}
			wantCaught(t, out, "TestBrokenAdapterChild", b.name, b.caught)
		})
	}
}

// Child processes --------------------------------------------------------------

// runChild runs test of this test binary in a child process with the
// environment naming broken, and returns its output.
func runChild(t *testing.T, test, broken string, flags ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	args := append([]string{"-test.run=^" + test + "$", "-test.count=1", "-test.timeout=90s"}, flags...)
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), brokenEnv+"="+broken)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running the child test: %v", err)
	}
	return out.String(), err
}

// wantCaught checks that each subtest in caught failed in the child's output
// with a message naming the broken rule.
func wantCaught(t *testing.T, out, test, broken string, caught []string) {
	t.Helper()
	failed := failures(out)
	for _, name := range caught {
		msg, ok := failed[test+"/"+name]
		switch {
		case !ok:
			t.Errorf("%s was not caught by %s; failed subtests: %v", broken, name, names(failed, test))
		case !strings.Contains(msg, "rule broken: "):
			t.Errorf("%s was caught by %s, but its message names no rule:\n%s", broken, name, msg)
		}
	}
	if t.Failed() {
		t.Logf("output of the child process:\n%s", out)
	}
}

// failures parses the output of a test binary run without -v: the tests
// that failed, each with the messages logged under it.
func failures(out string) map[string]string {
	res := map[string]string{}
	cur, indent := "", 0
	for line := range strings.Lines(out) {
		trimmed := strings.TrimLeft(line, " ")
		n := len(line) - len(trimmed)
		if rest, ok := strings.CutPrefix(trimmed, "--- FAIL: "); ok {
			cur, indent = strings.Fields(rest)[0], n
			res[cur] = ""
			continue
		}
		if strings.HasPrefix(trimmed, "--- ") || n <= indent {
			cur = ""
			continue
		}
		if cur != "" {
			res[cur] += trimmed
		}
	}
	return res
}

func names(failed map[string]string, test string) []string {
	var s []string
	for k := range failed {
		if k != test {
			s = append(s, strings.TrimPrefix(k, test+"/"))
		}
	}
	slices.Sort(s)
	return s
}
