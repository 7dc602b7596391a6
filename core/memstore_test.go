package vishnu_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

func TestMemoryStoreExpiryAndBounds(t *testing.T) {
	c := newClock()
	st, err := vishnu.NewMemoryStoreWithOptions(vishnu.MemoryStoreOptions{MaxEntries: 10, Clock: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rec := vishnu.EncodeRecord(map[string][]byte{"a": []byte("1")})
	for i := range 10 {
		st.Save(ctx, fmt.Sprint(i), rec, c.Now().Add(time.Duration(i+1)*time.Minute))
	}
	// Full: the record closest to expiry makes room.
	st.Save(ctx, "new", rec, c.Now().Add(time.Hour))
	if _, err := st.Load(ctx, "0"); !errors.Is(err, vishnu.ErrNotFound) {
		t.Fatalf("the soonest-expiring record must be evicted, got %v", err)
	}
	if st.Len() != 10 {
		t.Fatalf("Len = %d, want the bound 10", st.Len())
	}
	c.Add(5*time.Minute + time.Second)
	if st.Len() != 6 {
		t.Fatalf("after 5 minutes, Len = %d, want 6 (expired records swept)", st.Len())
	}
	if _, err := st.Load(ctx, "4"); !errors.Is(err, vishnu.ErrNotFound) {
		t.Fatalf("expired record: %v", err)
	}
	if err := st.Touch(ctx, "5", c.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	c.Add(10 * time.Minute)
	if _, err := st.Load(ctx, "5"); err != nil {
		t.Fatalf("touched record: %v", err)
	}
	if err := st.Touch(ctx, "6", c.Now().Add(time.Hour)); !errors.Is(err, vishnu.ErrNotFound) {
		t.Fatalf("Touch of an expired record: %v", err)
	}
	// A record saved already expired is not kept.
	st.Save(ctx, "past", rec, c.Now().Add(-time.Second))
	if _, err := st.Load(ctx, "past"); !errors.Is(err, vishnu.ErrNotFound) {
		t.Fatalf("record saved in the past: %v", err)
	}
}

func TestMemoryStoreStaysBoundedUnderLoad(t *testing.T) {
	c := newClock()
	st, _ := vishnu.NewMemoryStoreWithOptions(vishnu.MemoryStoreOptions{Clock: c.Now})
	ctx := context.Background()
	rec := vishnu.EncodeRecord(nil)
	for i := range 50_000 {
		st.Save(ctx, fmt.Sprint(i), rec, c.Now().Add(time.Second))
		if i%1000 == 999 {
			c.Add(time.Second)
		}
	}
	if n := st.Len(); n > 1000 {
		t.Fatalf("%d records live after constant churn, want at most 1000", n)
	}
}

func TestMemoryStoreCommit(t *testing.T) {
	st := vishnu.NewMemoryStore()
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	err := st.Commit(ctx, "gone", &vishnu.Change{Set: []vishnu.Field{{Key: "a", Value: []byte("1")}}, Expires: exp})
	if !errors.Is(err, vishnu.ErrNotFound) {
		t.Fatalf("Commit without Create on a missing record: %v, want ErrNotFound", err)
	}
	if _, err := st.Load(ctx, "gone"); !errors.Is(err, vishnu.ErrNotFound) {
		t.Fatal("Commit without Create created the record")
	}
	st.Save(ctx, "s", vishnu.EncodeRecord(map[string][]byte{"a": []byte("1"), "b": []byte("2")}), exp)
	st.Commit(ctx, "s", &vishnu.Change{Set: []vishnu.Field{{Key: "c", Value: []byte("3")}}, Delete: []string{"a"}, Expires: exp})
	raw, _ := st.Load(ctx, "s")
	fields, err := vishnu.DecodeRecord(raw)
	if err != nil || len(fields) != 2 || string(fields["b"]) != "2" || string(fields["c"]) != "3" {
		t.Fatalf("after commit: %v %v", fields, err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := st.Load(cancelled, "s"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
}

// A record is live until the nanosecond before its expiry: one that expires
// at the present nanosecond is gone, from the sweep as from a Save.
func TestMemoryStoreExpiryBoundary(t *testing.T) {
	ctx := context.Background()
	rec := vishnu.EncodeRecord(nil)
	for _, tc := range []struct {
		name  string
		in    time.Duration // the expiry given to Save, from the clock's time
		after time.Duration // how far the clock moves before Load
		live  bool
	}{
		{"saved to expire now", 0, 0, false},
		{"saved to expire a nanosecond ago", -time.Nanosecond, 0, false},
		{"saved to expire in a nanosecond", time.Nanosecond, 0, true},
		{"expiring at the present nanosecond", time.Second, time.Second, false},
		{"expired a nanosecond ago", time.Second, time.Second + time.Nanosecond, false},
		{"expiring in a nanosecond", time.Second, time.Second - time.Nanosecond, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			st, _ := vishnu.NewMemoryStoreWithOptions(vishnu.MemoryStoreOptions{Clock: c.Now})
			// Another record, that expires first, so that the sweep runs
			// past one record before it meets this one.
			st.Save(ctx, "before", rec, c.Now().Add(tc.in/2))
			st.Save(ctx, "s", rec, c.Now().Add(tc.in))
			c.Add(tc.after)
			_, err := st.Load(ctx, "s")
			if live := err == nil; live != tc.live || (err != nil && !errors.Is(err, vishnu.ErrNotFound)) {
				t.Fatalf("Load: %v, want live %v", err, tc.live)
			}
		})
	}
}

// A full store evicts the record closest to expiry, whatever the order the
// records were saved in.
func TestMemoryStoreEvictsSoonestExpiry(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	st, _ := vishnu.NewMemoryStoreWithOptions(vishnu.MemoryStoreOptions{MaxEntries: 6, Clock: c.Now})
	rec := vishnu.EncodeRecord(nil)
	for _, m := range []int{4, 1, 6, 3, 5, 2} {
		st.Save(ctx, fmt.Sprint(m), rec, c.Now().Add(time.Duration(m)*time.Minute))
	}
	// Touch moves a record in the order: 1 now expires last.
	if err := st.Touch(ctx, "1", c.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for i, evicted := range []string{"2", "3", "4", "5", "6", "1"} {
		st.Save(ctx, fmt.Sprint("new", i), rec, c.Now().Add(2*time.Hour))
		if _, err := st.Load(ctx, evicted); !errors.Is(err, vishnu.ErrNotFound) {
			t.Fatalf("new record %d: %s should be evicted first, Load: %v", i, evicted, err)
		}
		if st.Len() != 6 {
			t.Fatalf("Len = %d, want 6", st.Len())
		}
	}
}

// A new expiry, later or sooner, holds from the nanosecond it is set.
func TestMemoryStoreExpiryMoved(t *testing.T) {
	ctx := context.Background()
	rec := vishnu.EncodeRecord(nil)
	for _, tc := range []struct {
		name      string
		moved     time.Duration // the new expiry, from the clock's time; the first is a second
		after     time.Duration
		live      bool
		withTouch bool
	}{
		{"later, a nanosecond before it", 2 * time.Second, 2*time.Second - time.Nanosecond, true, true},
		{"later, at it", 2 * time.Second, 2 * time.Second, false, true},
		{"later by Save, a nanosecond before it", 2 * time.Second, 2*time.Second - time.Nanosecond, true, false},
		{"sooner, at it", time.Second / 2, time.Second / 2, false, true},
		{"sooner by Save, at it", time.Second / 2, time.Second / 2, false, false},
		{"sooner, a nanosecond before it", time.Second / 2, time.Second/2 - time.Nanosecond, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			st, _ := vishnu.NewMemoryStoreWithOptions(vishnu.MemoryStoreOptions{Clock: c.Now})
			st.Save(ctx, "s", rec, c.Now().Add(time.Second))
			if tc.withTouch {
				if err := st.Touch(ctx, "s", c.Now().Add(tc.moved)); err != nil {
					t.Fatal(err)
				}
			} else {
				st.Save(ctx, "s", rec, c.Now().Add(tc.moved))
			}
			c.Add(tc.after)
			if _, err := st.Load(ctx, "s"); (err == nil) != tc.live {
				t.Fatalf("Load: %v, want live %v", err, tc.live)
			}
		})
	}
}
