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
	caught []string // the subtests of TestStore that fail, exactly
	opts   conformance.StoreOptions
	caps   capSet   // the capabilities the store shows
	racy   []string // subtests that catch it only when a race goes its way
}

// selfTestOptions keeps the child runs short: in-process stores keep exact
// times, and a hang is known after ten seconds (less would fail slow cases
// of a correct store on a loaded machine). The child adds to Lacks
// what the store's capabilities lack (see lacksOf).
var selfTestOptions = conformance.StoreOptions{
	TTLResolution: 50 * time.Millisecond,
	Watchdog:      10 * time.Second,
	Expiry:        conformance.CleanupRemoves,
	Lacks:         conformance.RemoteBackend,
}

// lacksOf is what an author states of a store with the capabilities caps.
func lacksOf(caps capSet) conformance.Lack {
	switch caps {
	case toucherOnly, plainStore:
		return conformance.AtomicCommits | conformance.UserIndex
	case withIndex:
		return 0
	}
	return conformance.UserIndex
}

// with returns selfTestOptions changed by edit.
func with(edit func(o *conformance.StoreOptions)) conformance.StoreOptions {
	o := selfTestOptions
	edit(&o)
	return o
}

// secondInstance is the NewSecondInstance of the faulty stores.
func secondInstance(_ *testing.T, first vishnu.Store) vishnu.Store {
	f := faultyOf(first)
	return show(f.twin(), capsOf(first))
}

func capsOf(s vishnu.Store) capSet {
	switch s.(type) {
	case storeOnly:
		return plainStore
	case withTouch:
		return toucherOnly
	case withCommit:
		return committerOnly
	case withCommitTouch:
		return noCleaner
	case withUsers:
		return withIndex
	case withGens:
		return withGenerations
	}
	return allCaps
}

func unresponsive(honours, dialsBlind bool) func(*testing.T, string) vishnu.Store {
	return func(_ *testing.T, addr string) vishnu.Store {
		return &netStore{addr: addr, honoursContext: honours, dialsBlind: dialsBlind}
	}
}

// correctOptions give the correct store every optional case.
var correctOptions = with(func(o *conformance.StoreOptions) {
	o.NewSecondInstance = secondInstance
	o.NewUnresponsive = unresponsive(true, false)
	o.NewUnavailable = func(*testing.T) vishnu.Store { s := newFaulty(noBug); s.down = true; return s }
})

func brokenStores() []brokenStore {
	withLimit := with(func(o *conformance.StoreOptions) { o.MaxRecordSize, o.LimitEnforced = 1024, true })
	withDown := with(func(o *conformance.StoreOptions) {
		o.NewUnavailable = func(*testing.T) vishnu.Store { s := newFaulty(errorsAsNotFound); s.down = true; return s }
	})
	wholeSeconds := with(func(o *conformance.StoreOptions) { o.TTLResolution = time.Second })
	withSecond := with(func(o *conformance.StoreOptions) { o.NewSecondInstance = secondInstance })
	hung := with(func(o *conformance.StoreOptions) { o.NewUnresponsive = unresponsive(false, false) })
	dialsBlind := with(func(o *conformance.StoreOptions) { o.NewUnresponsive = unresponsive(true, true) })
	native := with(func(o *conformance.StoreOptions) { o.Expiry = conformance.BackendExpires })
	dialsASecond := with(func(o *conformance.StoreOptions) {
		o.NewUnresponsive = func(_ *testing.T, addr string) vishnu.Store {
			return &netStore{addr: addr, honoursContext: true, dialsBlind: true, dialTimeout: time.Second}
		}
	})
	readsASecond := with(func(o *conformance.StoreOptions) {
		o.NewUnresponsive = func(_ *testing.T, addr string) vishnu.Store {
			return &netStore{addr: addr, readTimeout: time.Second}
		}
	})
	// Stores whose authors forget to state what they lack.
	commitsUnstated := with(func(o *conformance.StoreOptions) {
		o.Expiry, o.Lacks = conformance.BackendExpires, conformance.UserIndex|conformance.RemoteBackend
	})
	indexUnstated := with(func(o *conformance.StoreOptions) { o.Lacks = conformance.RemoteBackend })
	hangUntested := correctOptions
	hangUntested.Lacks, hangUntested.NewUnresponsive = 0, nil
	indexDeaf := with(func(o *conformance.StoreOptions) {
		o.NewUnresponsive = func(_ *testing.T, addr string) vishnu.Store {
			return &netStore{addr: addr, honoursContext: true, indexDeaf: true}
		}
	})
	return []brokenStore{
		{ignoresExpiry, "ignores-expiry", []string{"Expiry/Honoured", "Expiry/SaveSetsExpiry", "Expiry/CommitSetsExpiry", "Expiry/CommitDoesNotResurrect", "Expiry/TouchSetsExpiry", "Expiry/TouchDoesNotResurrect", "Expiry/UnderResolution", "Expiry/PastEndsRecord", "Expiry/CommitMovesExpiry", "Cleaner/RemovesExpiredKeepsLive", "Cleaner/Limit", "Cleaner/DormantFor", "Cleaner/Finished", "Cleaner/ZeroLimit", "Expiry/CommitSameExpiry"}, selfTestOptions, allCaps, nil},
		{errorsAsNotFound, "errors-as-not-found", []string{"Context/Cancelled", "Context/DeadlineExceeded", "Unavailable/Load", "Unavailable/Save", "Unavailable/Delete", "Unavailable/Commit", "Unavailable/Touch", "Unavailable/Cleanup"}, withDown, allCaps, []string{"Context/CancelDuringCall"}},
		{ignoresContext, "ignores-context", []string{"Context/Cancelled", "Context/DeadlineExceeded"}, selfTestOptions, allCaps, nil},
		{losesCommits, "loses-commits", []string{"Committer/ConcurrentKeys", "Committer/ConcurrentDeletes", "Committer/DestroyWins", "Race/CommitSave", "Race/CommitTouch", "Committer/ConcurrentCreate"}, selfTestOptions, allCaps, nil},
		{resurrects, "resurrects-deleted", []string{"Committer/NoResurrection", "Committer/Replace", "Committer/DestroyWins", "Committer/EmptyChange", "Expiry/CommitDoesNotResurrect"}, selfTestOptions, allCaps, nil},
		{crosstalk, "crosstalk", []string{"Isolation/Sessions", "Isolation/Deletes"}, selfTestOptions, allCaps, nil},
		{likeWildcard, "like-wildcard", []string{"Isolation/Sessions", "Isolation/Deletes"}, selfTestOptions, allCaps, nil},
		{hangs, "hangs", []string{"Delete/Idempotent", "Race/SaveDelete"}, selfTestOptions, allCaps, nil},
		{aliases, "keeps-caller-slice", []string{"RoundTrip/CallerOwnsSlices"}, selfTestOptions, allCaps, nil},
		{truncates, "truncates-past-limit", []string{"RoundTrip/TooLarge"}, withLimit, allCaps, nil},
		{touchCreates, "touch-creates", []string{"Toucher/Missing", "Expiry/TouchDoesNotResurrect", "Race/TouchDelete"}, selfTestOptions, allCaps, nil},
		{cleanupNoLimit, "cleanup-ignores-limit", []string{"Cleaner/Limit", "Cleaner/DormantFor", "Cleaner/Finished", "Cleaner/ZeroLimit", "Cleaner/ExactCutoff"}, selfTestOptions, allCaps, nil},
		{cleanupNoDormant, "cleanup-ignores-dormant-for", []string{"Cleaner/DormantFor", "Cleaner/Finished", "Cleaner/ExactCutoff"}, selfTestOptions, allCaps, nil},
		{cleanupAlwaysDone, "cleanup-always-finished", []string{"Cleaner/Limit", "Cleaner/DormantFor", "Cleaner/Finished", "Cleaner/ZeroLimit", "Cleaner/ExactCutoff"}, selfTestOptions, allCaps, nil},

		{sharedKeySlot, "shared-key-slot", []string{"Isolation/Concurrent"}, selfTestOptions, allCaps, nil},
		{interruptedIsNotFound, "interrupted-is-not-found", []string{"Context/CancelDuringCall"}, selfTestOptions, allCaps, nil},
		{textData, "text-data", []string{"RoundTrip/Binary", "RoundTrip/Large", "Toucher/KeepsData", "Committer/BinaryFields", "RoundTrip/ResultsKept", "Committer/ReservedNames"}, selfTestOptions, allCaps, nil},
		{emptyIsMissing, "empty-is-missing", []string{"RoundTrip/Empty", "Overwrite/Replaces"}, selfTestOptions, allCaps, nil},
		{dropsLarge, "drops-large", []string{"RoundTrip/Large"}, selfTestOptions, allCaps, nil},
		{missingIsEmpty, "missing-is-empty", []string{"NotFound/NeverSaved", "Delete/Final", "Isolation/Sessions",
			"Expiry/Honoured", "Expiry/SaveSetsExpiry", "Expiry/CommitSetsExpiry", "Expiry/CommitDoesNotResurrect", "Expiry/TouchSetsExpiry", "Expiry/TouchDoesNotResurrect",
			"Expiry/UnderResolution", "Expiry/PastEndsRecord", "Expiry/CommitMovesExpiry", "Expiry/CommitSameExpiry",
			"Committer/Replace", "Committer/EmptyChange", "Committer/NoResurrection", "Committer/DestroyWins", "Toucher/Missing", "Race/TouchDelete",
			"Cleaner/RemovesExpiredKeepsLive", "Cleaner/Limit", "Cleaner/DormantFor", "Cleaner/Finished", "Isolation/Deletes", "Cleaner/ZeroLimit"}, selfTestOptions, allCaps, nil},
		{saveKeepsTail, "save-keeps-tail", []string{"RoundTrip/CallerOwnsSlices", "Overwrite/Replaces", "Overwrite/NoTornReads", "Race/CommitSave"}, selfTestOptions, allCaps, nil},
		{tornWrites, "torn-writes", []string{"Overwrite/NoTornReads"}, selfTestOptions, allCaps, []string{"Race/CommitSave"}},
		{touchOnlyShortens, "touch-only-shortens", []string{"Expiry/TouchExtends"}, selfTestOptions, allCaps, nil},
		{saveKeepsExpiry, "save-keeps-expiry", []string{"Expiry/SaveSetsExpiry", "Expiry/PastEndsRecord"}, selfTestOptions, allCaps, nil},
		{createRefused, "create-refused", []string{"Expiry/CommitSetsExpiry", "Expiry/CommitDoesNotResurrect", "Expiry/LongLifetimes", "Committer/Create", "Committer/ConcurrentCreate", "Expiry/CommitSameExpiry"}, selfTestOptions, allCaps, nil},
		{deletesIgnored, "deletes-ignored", []string{"Committer/Merge", "Committer/NoFieldsLeft", "Committer/ConcurrentDeletes", "Committer/ReservedNames"}, selfTestOptions, allCaps, nil},
		{touchClears, "touch-clears", []string{"Expiry/TouchExtends", "Toucher/KeepsData", "Race/CommitTouch", "Race/SaveTouch"}, selfTestOptions, allCaps, nil},

		// Expiry at its edges.
		{subResolutionNeverExpires, "sub-resolution-never-expires", []string{"Expiry/UnderResolution"}, selfTestOptions, allCaps, nil},
		{pastExpiryKept, "past-expiry-kept", []string{"Expiry/PastEndsRecord"}, selfTestOptions, allCaps, nil},
		{relativeAbove30Days, "over-30-days-is-a-date", []string{"Expiry/LongLifetimes"}, selfTestOptions, allCaps, nil},
		{truncatesToSeconds, "expiry-cut-to-seconds", []string{"Expiry/NotEarly"}, wholeSeconds, allCaps, nil},
		{createdNeverExpires, "created-never-expires", []string{"Expiry/CommitSetsExpiry", "Expiry/CommitSameExpiry"}, selfTestOptions, allCaps, nil},
		{noBug, "map-without-cleanup", []string{"Expiry/Declared"}, selfTestOptions, noCleaner, nil},
		// Changes at their edges.
		{emptyCommitNoop, "empty-commit-ignored", []string{"Expiry/CommitMovesExpiry", "Committer/EmptyChange"}, selfTestOptions, allCaps, nil},
		{unchangedCommitNoop, "unchanged-commit-skipped", []string{"Expiry/CommitMovesExpiry"}, selfTestOptions, allCaps, nil},
		{emptyCommitUpserts, "empty-commit-creates", []string{"Committer/EmptyChange"}, selfTestOptions, allCaps, nil},
		{textFieldValues, "text-field-values", []string{"Committer/BinaryFields"}, selfTestOptions, allCaps, nil},
		{createOverwrites, "create-overwrites", []string{"Committer/CreateExisting", "Committer/ConcurrentCreate"}, selfTestOptions, allCaps, nil},
		{replaceNeedsSet, "replace-needs-set", []string{"Committer/NoFieldsLeft"}, selfTestOptions, allCaps, nil},
		{emptiedRecordDeleted, "emptied-record-deleted", []string{"Committer/NoFieldsLeft"}, selfTestOptions, allCaps, nil},
		// Races in pairs.
		{saveBypassesCommitLock, "save-bypasses-commit-lock", []string{"Race/CommitSave"}, selfTestOptions, allCaps, nil},
		{touchRewrites, "touch-rewrites", []string{"Race/CommitTouch", "Race/SaveTouch", "Race/TouchDelete"}, selfTestOptions, allCaps, nil},
		{touchRewrites, "touch-rewrites-no-committer", []string{"Race/SaveTouch", "Race/TouchDelete"}, native, toucherOnly, nil},
		{touchUpserts, "touch-upserts", []string{"Race/TouchDelete"}, selfTestOptions, allCaps, nil},
		{deleteCacheRace, "delete-cache-race", []string{"Race/SaveDelete"}, native, plainStore, nil},
		// More than one instance.
		{perInstanceCache, "per-instance-cache", []string{"Instances/Save", "Instances/Commit", "Instances/Touch", "Instances/Delete"}, withSecond, allCaps, nil},
		// A backend that hangs.
		{noBug, "hung-ignores-context", []string{"Unresponsive/Load", "Unresponsive/Save", "Unresponsive/Delete", "Unresponsive/Commit", "Unresponsive/Touch", "Unresponsive/Cleanup"}, hung, allCaps, nil},
		{noBug, "hung-dial-ignores-context", []string{"Unresponsive/Load", "Unresponsive/Save", "Unresponsive/Delete", "Unresponsive/Commit", "Unresponsive/Touch", "Unresponsive/Cleanup"}, dialsBlind, allCaps, nil},
		// The index of sessions per user.
		{indexTextInfo, "index-text-info", []string{"UserIndex/RoundTrip"}, selfTestOptions, withIndex, nil},
		{indexKeepsCallerSlice, "index-keeps-caller-slice", []string{"UserIndex/RoundTrip"}, selfTestOptions, withIndex, nil},
		{indexFoldsCase, "index-folds-case", []string{"UserIndex/Isolation"}, selfTestOptions, withIndex, nil},
		{indexPrefixScan, "index-prefix-scan", []string{"UserIndex/Isolation"}, selfTestOptions, withIndex, nil},
		{indexKeepsRemoved, "index-keeps-removed", []string{"UserIndex/Remove", "UserIndex/NoEntries", "UserIndex/ConcurrentAddRemove", "UserIndex/Instances", "UserIndex/ExactNames", "UserIndex/ManyEntries"}, withSecond, withIndex, nil},
		{indexRemoveAbsentFails, "index-remove-absent-fails", []string{"UserIndex/Remove", "UserIndex/ExactNames"}, selfTestOptions, withIndex, nil},
		{indexNoneIsNotFound, "index-none-is-not-found", []string{"UserIndex/NoEntries", "UserIndex/ManyEntries"}, selfTestOptions, withIndex, nil},
		{indexPastAddSkipped, "index-past-add-skipped", []string{"UserIndex/PastExpiry"}, selfTestOptions, withIndex, nil},
		{indexIgnoresExpiry, "index-ignores-expiry", []string{"Expiry/UserEntries", "Expiry/UserEntryReAdded"}, selfTestOptions, withIndex, nil},
		{indexSubResolutionForever, "index-sub-resolution-never-expires", []string{"Expiry/UserEntries"}, selfTestOptions, withIndex, nil},
		{indexAddKeepsFirst, "index-add-keeps-first", []string{"Expiry/UserEntryReAdded"}, selfTestOptions, withIndex, nil},
		{indexAddKeepsExpiry, "index-add-keeps-expiry", []string{"Expiry/UserEntryReAdded"}, selfTestOptions, withIndex, nil},
		{indexLosesAdds, "index-loses-adds", []string{"UserIndex/ConcurrentAdds", "UserIndex/ManyEntries"}, selfTestOptions, withIndex, []string{"UserIndex/ConcurrentAddRemove"}},
		{indexSharedIDSlot, "index-shared-id-slot", []string{"UserIndex/ConcurrentAdds", "UserIndex/ManyEntries"}, selfTestOptions, withIndex, nil},
		{indexRemoveRewrites, "index-remove-rewrites", []string{"UserIndex/ConcurrentAddRemove", "UserIndex/ManyEntries"}, selfTestOptions, withIndex, nil},
		{indexPerInstanceCache, "index-per-instance-cache", []string{"UserIndex/Instances"}, withSecond, withIndex, nil},
		{indexIgnoresContext, "index-ignores-context", []string{"UserIndex/Context"}, selfTestOptions, withIndex, nil},
		{noBug, "index-hung-ignores-context", []string{"UserIndex/Unresponsive"}, indexDeaf, withIndex, nil},
		{indexListingBuffer, "index-listing-reuses-buffer", []string{"UserIndex/ListingKept"}, selfTestOptions, withIndex, nil},
		{indexLike, "index-like", []string{"UserIndex/ExactNames"}, selfTestOptions, withIndex, nil},
		{indexNFKC, "index-nfkc", []string{"UserIndex/ExactNames"}, selfTestOptions, withIndex, nil},
		{indexAccentInsensitive, "index-accent-insensitive", []string{"UserIndex/ExactNames"}, selfTestOptions, withIndex, nil},
		{indexListingMap, "index-listing-map-reused", []string{"UserIndex/ListingKept"}, selfTestOptions, withIndex, nil},
		{indexRemoveLike, "index-remove-like", []string{"UserIndex/ExactNames"}, selfTestOptions, withIndex, nil},
		{indexKeepsLatest1000, "index-keeps-latest-1000", []string{"UserIndex/ManyEntries"}, selfTestOptions, withIndex, nil},
		{indexOver30DaysIsADate, "index-over-30-days-is-a-date", []string{"Expiry/UserEntriesLong"}, selfTestOptions, withIndex, nil},
		{indexKeepsDeadEntries, "index-keeps-dead-entries", []string{"Expiry/UserDeadEntries"}, selfTestOptions, withIndex, nil},
		{indexHidesDeadEntries, "index-hides-dead-entries", []string{"Expiry/UserDeadEntries"}, selfTestOptions, withIndex, nil},
		// Generations per user.
		{genMadeUp, "generation-made-up", []string{"UserGenerations/ZeroUntilBumped"}, selfTestOptions, withGenerations, nil},
		{genNotAdvanced, "generation-not-advanced", []string{"UserGenerations/Increasing", "UserGenerations/ConcurrentBumps"}, selfTestOptions, withGenerations, nil},
		{genFoldsCase, "generation-folds-case", []string{"UserGenerations/PerUser"}, selfTestOptions, withGenerations, nil},
		{genLostBumps, "generation-loses-bumps", []string{"UserGenerations/ConcurrentBumps"}, selfTestOptions, withGenerations, nil},
		{genIgnoresContext, "generation-ignores-context", []string{"UserGenerations/Context"}, selfTestOptions, withGenerations, nil},
		{genPerInstanceCache, "generation-per-instance-cache", []string{"Instances/UserGenerations"}, withSecond, withGenerations, nil},
		// Returned memory, names as bytes, creation races, cleanup.
		{loadReusesBuffer, "load-reuses-buffer", []string{"RoundTrip/ResultsKept"}, selfTestOptions, allCaps, nil},
		{deleteLikeWildcard, "delete-like-wildcard", []string{"Isolation/Deletes"}, selfTestOptions, allCaps, nil},
		{fieldsFoldCase, "fields-fold-case", []string{"Committer/FieldNames"}, selfTestOptions, allCaps, nil},
		{fieldsFoldWidth, "fields-fold-width", []string{"Committer/FieldNames"}, selfTestOptions, allCaps, nil},
		{replaceKeepsNUL, "replace-keeps-nul-fields", []string{"Committer/ReservedNames"}, selfTestOptions, allCaps, nil},
		{createRaceOverwrites, "create-race-overwrites", []string{"Committer/ConcurrentCreate"}, selfTestOptions, allCaps, nil},
		{cleanupZeroNoLimit, "cleanup-zero-is-no-limit", []string{"Cleaner/ZeroLimit"}, selfTestOptions, allCaps, nil},
		{cleanupZeroFinished, "cleanup-zero-is-finished", []string{"Cleaner/ZeroLimit"}, selfTestOptions, allCaps, nil},
		{cleanupScanThenDelete, "cleanup-scan-then-delete", []string{"Cleaner/ResavedLive"}, selfTestOptions, allCaps, nil},
		{cleanupCutoffSeconds, "cleanup-cutoff-whole-seconds", []string{"Cleaner/ExactCutoff"}, selfTestOptions, allCaps, nil},
		{cleanupExpirySeconds, "cleanup-expiry-whole-seconds", []string{"Cleaner/ExactCutoff"}, selfTestOptions, allCaps, nil},
		{noBug, "hung-dial-ignores-context-for-1s", []string{"Unresponsive/Load", "Unresponsive/Save", "Unresponsive/Delete", "Unresponsive/Commit", "Unresponsive/Touch", "Unresponsive/Cleanup"}, dialsASecond, allCaps, nil},
		// Commits that keep the expiry.
		{sameExpiryCreateNoTTL, "sameexpiry-create-no-ttl", []string{"Expiry/CommitSameExpiry"}, selfTestOptions, allCaps, nil},
		{sameExpiryReplaceNoTTL, "sameexpiry-replace-no-ttl", []string{"Expiry/CommitSameExpiry"}, selfTestOptions, allCaps, nil},
		{sameExpiryMergeNoTTL, "sameexpiry-merge-no-ttl", []string{"Expiry/CommitSameExpiry"}, selfTestOptions, allCaps, nil},
		{sameExpiryStale, "sameexpiry-keeps-stale-expiry", []string{"Expiry/CommitSameExpiry"}, selfTestOptions, allCaps, nil},
		{sameExpiryResurrects, "sameexpiry-resurrects", []string{"Committer/NoResurrection", "Expiry/CommitDoesNotResurrect"}, selfTestOptions, allCaps, nil},
		// Guarantees lacked without saying so.
		{unstated, "unstated-no-atomic-commits", []string{"Declared/AtomicCommits"}, commitsUnstated, plainStore, nil},
		{noBug, "hung-read-ignores-context-for-1s", []string{"Unresponsive/Load", "Unresponsive/Save", "Unresponsive/Delete", "Unresponsive/Commit", "Unresponsive/Touch", "Unresponsive/Cleanup"}, readsASecond, allCaps, nil},
		{unstated, "unstated-no-user-index", []string{"Declared/UserIndex"}, indexUnstated, allCaps, nil},
		{unstated, "unstated-hang-untested", []string{"Declared/Backend"}, hangUntested, withIndex, nil},
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
		conformance.TestStore(t, func(*testing.T) vishnu.Store { return show(newFaulty(noBug), withIndex) }, correctOptions)
		return
	}
	for _, b := range brokenStores() {
		if b.name == name {
			opts := b.opts
			if b.bug != unstated {
				opts.Lacks |= lacksOf(b.caps)
			}
			conformance.TestStore(t, func(*testing.T) vishnu.Store {
				s := newFaulty(b.bug)
				s.limit = b.opts.MaxRecordSize
				return show(s, b.caps)
			}, opts)
			return
		}
	}
	t.Fatalf("no broken store %q", name)
}

func TestSuiteCatchesBrokenStores(t *testing.T) {
	// The children mostly wait for records to expire, so more of them run
	// at once than the test's -parallel would allow.
	stores := brokenStores()
	results := make([]chan childResult, len(stores)+1)
	sem := make(chan struct{}, 6)
	for i := range results {
		results[i] = make(chan childResult, 1)
		name := "correct"
		if i > 0 {
			name = stores[i-1].name
		}
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out, err := runChildOut(t.Context(), "TestBrokenStoreChild", name)
			results[i] <- childResult{out, err}
		}()
	}
	t.Run("correct", func(t *testing.T) {
		r := <-results[0]
		if r.err != nil || len(failures(r.out)) > 0 {
			t.Fatalf("the store suite fails a correct store (%v):\n%s", r.err, r.out)
		}
	})
	for i, b := range stores {
		t.Run(b.name, func(t *testing.T) {
			r := <-results[i+1]
			var exit *exec.ExitError
			switch {
			case r.err == nil:
				t.Fatalf("the store suite passes the broken store %q:\n%s", b.name, r.out)
			case !errors.As(r.err, &exit):
				t.Fatalf("running the child test: %v", r.err)
			}
			wantCaught(t, r.out, "TestBrokenStoreChild", b.name, b.caught, b.racy, true)
		})
	}
}

type childResult struct {
	out string
	err error
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
	opts := with(func(o *conformance.StoreOptions) {
		o.Expiry, o.Lacks = conformance.BackendExpires, conformance.AtomicCommits|conformance.UserIndex|conformance.RemoteBackend
	})
	t.Run("Store", func(t *testing.T) { conformance.TestStore(t, newStore, opts) })
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
		"Store/Unavailable/not-provided", "Store/Unresponsive/not-provided", "Store/Instances/not-provided",
		"Store/UserIndex/not-provided", "Store/Expiry/UserEntries", "Store/Expiry/UserEntryReAdded",
		"Store/Race/CommitSave", "Store/Race/CommitTouch", "Store/Race/SaveTouch", "Store/Race/TouchDelete",
		"Adapter/Concurrent/Writers", "Adapter/Header/Concurrent/Writers",
	} {
		if !strings.Contains(out, "--- SKIP: TestMinimalStoreChild/"+skip+" ") {
			t.Errorf("the output does not report %s as skipped", skip)
		}
	}
	for reason, want := range map[string]int{
		"the store is not a vishnu.Toucher: expiry refreshes rewrite the whole record": 1,
		"the store is not a vishnu.UserIndex: it keeps no index of sessions per user":  1,
		"StoreOptions.NewSecondInstance is not set":                                    1,
		"not provided: the store is not a vishnu.Committer":                            2, // the adapter's Concurrent/Writers, with the cookie and in header mode
	} {
		if n := strings.Count(out, reason); n != want {
			t.Errorf("the output gives the skip reason %q %d times, want %d", reason, n, want)
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
	caught []string // subtests of TestAdapter that must fail, exactly
	serve  conformance.ServeFunc
	store  func(*testing.T) vishnu.Store // nil: the suite's default
	// sample is set when the bug fails nearly every case: caught is a
	// sample of them, and other failures are not reported.
	sample bool
}

// header and bearer return the names of cases in the header and bearer
// modes; both returns them in the cookie and header modes.
func header(cases ...string) []string { return prefixed("Header/", cases) }
func bearer(cases ...string) []string { return prefixed("Bearer/", cases) }
func both(cases ...string) []string   { return slices.Concat(cases, header(cases...)) }

func prefixed(p string, cases []string) []string {
	out := make([]string, len(cases))
	for i, c := range cases {
		out[i] = p + c
	}
	return out
}

// tokenHeaderCases are the cases that catch an adapter that never hands
// the session its request headers: every one that needs a header session
// back, in the header and bearer modes.
var tokenHeaderCases = slices.Concat(
	header("AutoSave/Off", "AutoSave/On", "BadCookie/Garbage", "BadCookie/Tampered", "Concurrent/Writers",
		"Destroy/ExpiresCookie", "Flash/Once", "Handler/Empty", "Handler/ReturnsError", "Handler/StatusOnly",
		"Regenerate/NewToken", "Sources/NoFixation", "StoreDown/CommitFailsLate", "StoreDown/ErrorResponse",
		"StoreDown/FailedLogout", "StoreDown/Untouched", "Stream/CarriesCookie", "Stream/FlushFirst",
		"Stream/LateChange", "Stream/SSE", "Timeout/PerSession", "Timeout/Sliding",
		"Unchanged/NoWrite"),
	bearer("AutoSave/On", "BadCookie/Tampered", "Destroy/ExpiresCookie", "Handler/Empty", "Handler/ReturnsError",
		"Handler/StatusOnly", "Regenerate/NewToken", "StoreDown/FailedLogout", "Stream/CarriesCookie"),
)

func brokenAdapters() []brokenAdapter {
	return []brokenAdapter{
		{"nil-session", []string{"Cookie/Defaults", "AutoSave/On", "Flash/Once", "Header/Flash/Once", "Bearer/Regenerate/NewToken"}, serveNilSession, nil, true},
		{"buffers-response", slices.Concat(both("Stream/CarriesCookie", "Stream/SSE"), bearer("Stream/CarriesCookie")), serveBuffered, nil, false},
		// It commits before the handler sets its headers, which then
		// replace the session's Cache-Control on a token's answer.
		{"ignores-commit-error", slices.Concat(both("StoreDown/ErrorResponse", "StoreDown/SaveFails", "StoreDown/CommitFailsLate", "StoreDown/FailedLogout", "StoreDown/Untouched"), header("Stream/SSE"), bearer("StoreDown/FailedLogout")), serveIgnoringCommitErrors, nil, false},
		{"ignores-handler-error", slices.Concat(both("Handler/ReturnsError"), bearer("Handler/ReturnsError")), serveIgnoringHandlerErrors, nil, false},
		// It commits early too (see ignores-commit-error).
		{"never-finishes", slices.Concat(both("Stream/LateChange"), header("Stream/SSE")), serveWithoutFinish, nil, false},
		// Its error response is its own, not the configured one.
		{"commits-on-write-only", slices.Concat(both("Handler/Empty", "StoreDown/ErrorResponse", "StoreDown/SaveFails", "StoreDown/CommitFailsLate", "StoreDown/FailedLogout", "StoreDown/Untouched"), bearer("Handler/Empty", "StoreDown/FailedLogout")), serveCommittingOnWrite, nil, false},
		{"buffers-events", both("Stream/SSE"), serveBufferingEvents, nil, false},
		{"flushes-around-middleware", both("Stream/FlushFirst"), serveFlushingAround, nil, false},
		{"ignores-end-commit-error", both("StoreDown/CommitFailsLate"), serveIgnoringEndCommitError, nil, false},
		{"drops-token-headers", tokenHeaderCases, serveWithoutTokenHeaders, nil, false},
		{"transport-reads-cookies-only", tokenHeaderCases, serveReadingCookiesOnly, nil, false},
		{"drops-token-header-on-streams", slices.Concat(header("Stream/CarriesCookie", "Stream/SSE", "Stream/FlushFirst"), bearer("Stream/CarriesCookie")), serveStreamingKnownHeaders, nil, false},
		// Only the chunk cases make a session larger than one cookie.
		{"drops-cookie-pieces", chunkCaseNames, serveDroppingCookiePieces, func(*testing.T) vishnu.Store { return vishnu.NewCookieStore() }, false},
		// A correct harness over a store whose empty Commit (the expiry
		// refresh of a store without Toucher) is a no-op: sliding sessions
		// expire in the store.
		{"store-ignores-empty-commit", []string{"Timeout/InStore"}, conformance.NetHTTP, func(*testing.T) vishnu.Store {
			return show(newFaulty(emptyCommitNoop), committerOnly)
		}, false},
	}
}

// chunkCaseNames are the cases that catch an adapter dropping the cookie
// store's numbered cookies, and no other case does.
var chunkCaseNames = []string{"CookieStore/Chunks/RoundTrip", "CookieStore/Chunks/Shrink", "CookieStore/Chunks/Destroy", "CookieStore/Chunks/MissingPiece"}

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
			conformance.TestAdapter(t, b.serve, conformance.AdapterOptions{Watchdog: 10 * time.Second, NewStore: b.store})
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
			wantCaught(t, out, "TestBrokenAdapterChild", b.name, b.caught, nil, !b.sample)
		})
	}
}

// Child processes --------------------------------------------------------------

// runChild runs test of this test binary in a child process with the
// environment naming broken, and returns its output.
func runChild(t *testing.T, test, broken string, flags ...string) (string, error) {
	t.Helper()
	out, err := runChildOut(t.Context(), test, broken, flags...)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running the child test: %v", err)
	}
	return out, err
}

func runChildOut(ctx context.Context, test, broken string, flags ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	args := append([]string{"-test.run=^" + test + "$", "-test.count=1", "-test.timeout=90s"}, flags...)
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), brokenEnv+"="+broken)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// wantCaught checks that each subtest in caught failed in the child's output
// with a message naming the broken rule, and with exact, that no other
// subtest but those of racy failed: each broken store shows which rules,
// and only which, catch it.
func wantCaught(t *testing.T, out, test, broken string, caught, racy []string, exact bool) {
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
	if exact {
		for _, name := range names(failed, test) {
			if !slices.Contains(caught, name) && !slices.Contains(racy, name) {
				t.Errorf("%s was also caught by %s, which it is not listed as failing:\n%s", broken, name, failed[test+"/"+name])
			}
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

// names returns the leaves among the failed subtests of test: a failed
// group whose subtest failed is not listed.
func names(failed map[string]string, test string) []string {
	var s []string
	for k := range failed {
		if k == test {
			continue
		}
		leaf := true
		for other := range failed {
			if strings.HasPrefix(other, k+"/") {
				leaf = false
				break
			}
		}
		if leaf {
			s = append(s, strings.TrimPrefix(k, test+"/"))
		}
	}
	slices.Sort(s)
	return s
}
