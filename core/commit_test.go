package vishnu

import (
	"errors"
	"testing"
	"time"
)

// TestPlanCommit tables the commit decision over the legal combinations of
// state (see commit.go): what is written, with which expiry, and whether a
// cookie goes out.
func TestPlanCommit(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	const hour = time.Hour
	base := commitState{
		autoSave: true, stored: true, now: now,
		pendingTTL: hour, storedTTL: hour,
		expires: now.Add(hour - time.Minute), refreshed: now.Add(-time.Minute),
	}
	type want struct {
		write   writeKind
		data    bool
		expires time.Time
		cookie  bool
		err     error
	}
	unchanged := want{}
	for _, tc := range []struct {
		name string
		edit func(*commitState)
		want want
	}{
		{"new and empty: nothing", func(s *commitState) { s.stored = false }, unchanged},
		{"new, unsaved without AutoSave: nothing", func(s *commitState) { s.stored, s.dirty, s.autoSave = false, true, false }, unchanged},
		{"new with data: created, cookie", func(s *commitState) { s.stored, s.dirty = false, true },
			want{writeCreate, true, now.Add(hour), true, nil}},
		{"new with data after the commit point: undeliverable", func(s *commitState) { s.stored, s.dirty, s.closed = false, true, true },
			want{err: ErrHeadersWritten}},
		{"stored, untouched, fresh: nothing", func(*commitState) {}, unchanged},
		{"stored, a tenth of the lifetime gone: touched, cookie", func(s *commitState) { s.expires = now.Add(50 * time.Minute) },
			want{writeTouch, false, now.Add(hour), true, nil}},
		{"stored, due, after the commit point: nothing (the cookie waits)", func(s *commitState) { s.expires, s.closed = now.Add(50*time.Minute), true }, unchanged},
		{"stored, changed: change with the old expiry, no cookie", func(s *commitState) { s.dirty = true },
			want{writeChange, true, now.Add(hour - time.Minute), false, nil}},
		{"stored, changed without AutoSave: nothing", func(s *commitState) { s.dirty, s.autoSave = true, false }, unchanged},
		{"stored, changed without AutoSave, explicit Save: change", func(s *commitState) { s.dirty, s.autoSave, s.explicit = true, false, true },
			want{writeChange, true, now.Add(hour - time.Minute), false, nil}},
		{"stored, flash read without AutoSave: change without data", func(s *commitState) { s.flashesRead, s.autoSave = true, false },
			want{writeChange, false, now.Add(hour - time.Minute), false, nil}},
		{"stored, changed after the commit point: change", func(s *commitState) { s.dirty, s.closed = true, true },
			want{writeChange, true, now.Add(hour - time.Minute), false, nil}},
		{"stored, stale cookie: re-issued as it is", func(s *commitState) { s.stale = true },
			want{writeNone, false, now.Add(hour - time.Minute), true, nil}},
		{"stored, stale after the commit point: nothing", func(s *commitState) { s.stale, s.closed = true, true }, unchanged},
		{"stored, new longer timeout: change, cookie", func(s *commitState) { s.dirty, s.newTimeout, s.pendingTTL = true, true, 24*hour },
			want{writeChange, true, now.Add(24 * hour), true, nil}},
		{"stored, new timeout unsaved: nothing moves", func(s *commitState) { s.dirty, s.newTimeout, s.pendingTTL, s.autoSave = true, true, 24*hour, false }, unchanged},
		{"stored, shortened timeout after the commit point: expiry brought forward, no cookie",
			func(s *commitState) {
				s.dirty, s.newTimeout, s.closed, s.storedTTL = true, true, true, 30*24*hour
				s.expires = now.Add(30*24*hour - time.Minute)
			},
			want{writeChange, true, now.Add(hour), false, nil}},
		{"stored, cookie outlives a lowered timeout: refreshed at once", func(s *commitState) { s.expires = now.Add(2 * hour) },
			want{writeTouch, false, now.Add(hour), true, nil}},
		{"absolute timeout caps the expiry", func(s *commitState) { s.stored, s.dirty, s.limit = false, true, now.Add(10*time.Minute) },
			want{writeCreate, true, now.Add(10 * time.Minute), true, nil}},
		{"cookie store, changed: the cookie carries it", func(s *commitState) { s.inCookie, s.dirty = true, true },
			want{writeCookie, true, now.Add(hour - time.Minute), true, nil}},
		{"cookie store, changed after the commit point: undeliverable", func(s *commitState) { s.inCookie, s.dirty, s.closed = true, true, true },
			want{err: ErrHeadersWritten}},
		{"cookie store, flash read after the commit point: undeliverable", func(s *commitState) { s.inCookie, s.flashesRead, s.closed = true, true, true },
			want{err: ErrHeadersWritten}},
		{"cookie store, due after the commit point: nothing", func(s *commitState) { s.inCookie, s.expires, s.closed = true, now.Add(50*time.Minute), true }, unchanged},
		{"cookie store, due: refreshed cookie", func(s *commitState) { s.inCookie, s.expires = true, now.Add(50*time.Minute) },
			want{writeCookie, false, now.Add(hour), true, nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := base
			tc.edit(&in)
			p := planCommit(in)
			got := want{p.write, p.withData, p.expires, p.cookie, p.err}
			if got.write == writeNone && !got.cookie && got.err == nil {
				got = unchanged
			}
			if got != tc.want || !errors.Is(p.err, tc.want.err) {
				t.Errorf("planCommit =\n  %+v\nwant\n  %+v", got, tc.want)
			}
			if p.cookie && !p.expires.Equal(in.expires) && !p.refreshed.Equal(now) {
				t.Errorf("a moved expiry must be stamped now: refreshed %v", p.refreshed)
			}
		})
	}
}
