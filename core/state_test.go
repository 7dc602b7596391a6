package vishnu

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestLifecycleTransitions tables every transition of a session's
// lifecycle over every state: the legal ones move exactly as listed, the
// others change nothing and report false.
func TestLifecycleTransitions(t *testing.T) {
	reads := []readState{unread, readOK, readFailed}
	windows := []window{windowOpen, windowCommitting, windowLateCommit, windowClosed, windowEnded}
	moves := []struct {
		name   string
		do     func(*lifecycle) bool
		read   map[readState]readState
		window map[window]window
	}{
		{"loaded(true)", func(l *lifecycle) bool { return l.loaded(true) }, map[readState]readState{unread: readOK}, nil},
		{"loaded(false)", func(l *lifecycle) bool { return l.loaded(false) }, map[readState]readState{unread: readFailed}, nil},
		{"unreadable", (*lifecycle).unreadable, map[readState]readState{readOK: readFailed}, nil},
		{"beginCommit(false)", func(l *lifecycle) bool { return l.beginCommit(false) }, nil, map[window]window{windowOpen: windowCommitting}},
		{"beginCommit(true)", func(l *lifecycle) bool { return l.beginCommit(true) }, nil, map[window]window{windowOpen: windowLateCommit}},
		{"closeWindow", (*lifecycle).closeWindow, nil, map[window]window{windowCommitting: windowClosed, windowLateCommit: windowClosed}},
		{"end", (*lifecycle).end, nil, map[window]window{
			windowOpen: windowEnded, windowCommitting: windowEnded, windowLateCommit: windowEnded, windowClosed: windowEnded,
		}},
	}
	for _, r := range reads {
		for _, w := range windows {
			for _, mv := range moves {
				from := lifecycle{read: r, window: w}
				want, legal := from, false
				if to, ok := mv.read[r]; ok {
					want.read, legal = to, true
				}
				if to, ok := mv.window[w]; ok {
					want.window, legal = to, true
				}
				got := from
				if ok := mv.do(&got); ok != legal || got != want {
					t.Errorf("%+v.%s = %+v, %v; want %+v, %v", from, mv.name, got, ok, want, legal)
				}
			}
		}
	}
}

// TestLifecyclePredicates tables what each lifecycle state allows.
func TestLifecyclePredicates(t *testing.T) {
	closed := map[window]bool{windowOpen: false, windowCommitting: false, windowLateCommit: true, windowClosed: true, windowEnded: true}
	for _, r := range []readState{unread, readOK, readFailed} {
		for w, wantClosed := range closed {
			l := lifecycle{read: r, window: w}
			if got := l.cookieClosed(); got != wantClosed {
				t.Errorf("%+v.cookieClosed() = %v", l, got)
			}
			if got := l.used(); got != (r != unread) {
				t.Errorf("%+v.used() = %v", l, got)
			}
		}
	}
}

// TestRecordTransitions tables the record's transitions and predicates
// over every state.
func TestRecordTransitions(t *testing.T) {
	moves := []struct {
		name string
		do   func(*recordState) bool
		to   map[recordState]recordState
	}{
		{"found", (*recordState).found, map[recordState]recordState{recordNone: recordStored}},
		{"written", (*recordState).written, map[recordState]recordState{recordNone: recordCreated}},
		{"dropped", (*recordState).dropped, map[recordState]recordState{recordCreated: recordNone, recordStored: recordNone}},
	}
	for _, from := range []recordState{recordNone, recordCreated, recordStored} {
		for _, mv := range moves {
			want, legal := mv.to[from]
			if !legal {
				want = from
			}
			got := from
			if ok := mv.do(&got); ok != legal || got != want {
				t.Errorf("%d.%s = %d, %v; want %d, %v", from, mv.name, got, ok, want, legal)
			}
		}
	}
	for r, want := range map[recordState][2]bool{recordNone: {false, true}, recordCreated: {true, true}, recordStored: {true, false}} {
		if got := [2]bool{r.exists(), r.isNew()}; got != want {
			t.Errorf("record %d: exists, isNew = %v, want %v", r, got, want)
		}
	}
}

// TestEditTransitions tables the edit state's transitions and predicates
// over every state.
func TestEditTransitions(t *testing.T) {
	moves := []struct {
		name string
		do   func(*editState) bool
		to   map[editState]editState
	}{
		{"edited", (*editState).edited, map[editState]editState{editsNone: editsSome}},
		{"cleared", (*editState).cleared, map[editState]editState{editsNone: editsCleared, editsSome: editsCleared}},
		{"clean", (*editState).clean, map[editState]editState{editsSome: editsNone, editsCleared: editsNone}},
	}
	for _, from := range []editState{editsNone, editsSome, editsCleared} {
		for _, mv := range moves {
			want, legal := mv.to[from]
			if !legal {
				want = from
			}
			got := from
			if ok := mv.do(&got); ok != legal || got != want {
				t.Errorf("%d.%s = %d, %v; want %d, %v", from, mv.name, got, ok, want, legal)
			}
		}
	}
	for e, want := range map[editState][2]bool{editsNone: {false, false}, editsSome: {true, false}, editsCleared: {true, true}} {
		if got := [2]bool{e.dirty(), e.replace()}; got != want {
			t.Errorf("edits %d: dirty, replace = %v, want %v", e, got, want)
		}
	}
}

// TestPlanCommitEveryState checks the commit decision over every legal
// combination of state and change (see commit.go for which are legal)
// against the rules it must keep, each named in its failure message.
func TestPlanCommitEveryState(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	const hour = time.Hour
	bools := []bool{false, true}
	n := 0
	for _, explicit := range bools {
		for _, autoSave := range bools {
			for _, inCookie := range bools {
				for _, stored := range bools {
					for _, dirty := range bools {
						for _, flashes := range bools {
							for _, newTimeout := range bools {
								for _, stale := range bools {
									for _, closed := range bools {
										for _, expiry := range []string{"fresh", "tenth", "past a tenth", "due", "outlives"} {
											for _, capped := range bools {
												if !stored && (flashes || stale || expiry != "fresh") || newTimeout && !dirty {
													continue // not a legal state
												}
												in := commitState{
													explicit: explicit, autoSave: autoSave, inCookie: inCookie, stored: stored,
													dirty: dirty, flashesRead: flashes, newTimeout: newTimeout, stale: stale, closed: closed,
													now: now, pendingTTL: hour, storedTTL: hour,
												}
												if newTimeout {
													in.pendingTTL = 24 * hour
												}
												if stored {
													in.refreshed = now.Add(-hour / 2)
													switch expiry {
													case "fresh":
														in.expires = now.Add(hour - time.Minute)
													case "tenth": // exactly a tenth of the lifetime gone: not yet due
														in.expires = now.Add(hour - hour/10)
													case "past a tenth":
														in.expires = now.Add(hour - hour/10 - time.Second)
													case "due":
														in.expires = now.Add(hour / 2)
													case "outlives":
														in.expires = now.Add(2 * hour)
													}
												}
												if capped {
													in.limit = now.Add(10 * time.Minute)
												}
												n++
												checkPlan(t, in, expiry)
											}
										}
									}
								}
							}
						}
					}
				}
			}
		}
	}
	if n < 500 {
		t.Fatalf("only %d states checked", n)
	}
}

func checkPlan(t *testing.T, in commitState, expiry string) {
	t.Helper()
	p := planCommit(in)
	fail := func(rule string) {
		t.Helper()
		t.Errorf("%s\n  state %+v (expiry %s)\n  plan  %+v", rule, in, expiry, p)
	}
	withData := in.dirty && (in.explicit || in.autoSave)
	change := withData || in.flashesRead
	wantErr := in.closed && ((!in.stored && withData) || (in.stored && in.inCookie && change))
	if got := errors.Is(p.err, ErrHeadersWritten); got != wantErr || (p.err != nil) != wantErr {
		fail(fmt.Sprintf("a change that needs a cookie after the commit point fails with ErrHeadersWritten (want %v)", wantErr))
	}
	if wantErr {
		if p.write != writeNone || p.cookie {
			fail("an undeliverable change writes nothing")
		}
		return
	}
	nothing := p.write == writeNone && !p.cookie
	if !in.stored && !withData && !nothing {
		fail("a new session with nothing to keep writes nothing")
	}
	if nothing {
		if p != (commitPlan{}) {
			fail("a plan that does nothing is the zero plan")
		}
	} else if p.withData != withData {
		fail("the application's changes are written only when explicit or with AutoSave")
	}
	if p.cookie && in.closed {
		fail("no cookie after the commit point")
	}
	if (p.write == writeCreate) != (!in.stored && withData) {
		fail("a new record is created exactly when a new session has data to keep")
	}
	if p.write == writeCookie && (!in.inCookie || !in.stored || !p.cookie) {
		fail("only the cookie store writes its record in a new cookie")
	}
	if (p.write == writeChange || p.write == writeTouch) && (in.inCookie || !in.stored) {
		fail("a change or touch goes to a stored record of a server-side store")
	}
	if in.stored && change {
		if in.inCookie && (p.write != writeCookie || !p.cookie) {
			fail("the cookie store carries a change in its cookie")
		}
		if !in.inCookie && p.write != writeChange {
			fail("a change to a stored session is committed as a Change")
		}
	}
	if in.stored && in.stale && !in.closed && !p.cookie {
		fail("a cookie made with a previous secret or key is re-issued")
	}
	ttl := in.storedTTL
	if withData {
		ttl = in.pendingTTL
	}
	target := in.now.Add(ttl)
	if !in.limit.IsZero() && target.After(in.limit) {
		target = in.limit
	}
	moved := !nothing && p.refreshed.Equal(in.now) && !in.refreshed.Equal(in.now)
	switch {
	case nothing:
	case moved && !p.expires.Equal(target):
		fail("a refreshed expiry is now plus the lifetime that will be stored, capped by the absolute timeout")
	case !moved && (!p.expires.Equal(in.expires) || !p.refreshed.Equal(in.refreshed)):
		fail("an expiry not refreshed stays as it was")
	}
	if !in.stored && withData && !moved {
		fail("a new record gets a fresh expiry")
	}
	// Refreshing is throttled to a tenth of the lifetime, but a cookie that
	// outlives what the timeout allows is brought in at once.
	due := in.stored && (target.Sub(in.expires) > ttl/10 || in.expires.After(target) || withData && in.newTimeout)
	if in.stored && !in.closed && due != moved {
		fail(fmt.Sprintf("a stored session's expiry is refreshed exactly when due (due %v)", due))
	}
	if in.stored && !in.closed && due && !p.cookie {
		fail("a refreshed expiry goes out in a new cookie")
	}
	if in.stored && !in.closed && !due && !in.stale && !(in.inCookie && change) && p.cookie {
		fail("a cookie goes out only when refreshed, stale or carrying the cookie store's change")
	}
	if in.stored && in.closed && moved && (in.inCookie || !p.expires.Before(in.expires)) {
		fail("after the commit point an expiry only moves forward, to honour a shortened timeout, and not in the cookie store")
	}
	if in.stored && !change && !in.closed && due && !in.inCookie && p.write != writeTouch {
		fail("an unchanged session due for refresh is touched")
	}
	if in.stored && !change && !due && !in.stale && !nothing {
		fail("an unchanged, fresh session writes nothing")
	}
}
