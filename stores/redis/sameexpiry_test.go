package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// TestCommitSameExpiry checks that a commit that keeps the expiry leaves the
// key's Redis expiry as it is, and that a key the commit makes anew still
// gets one. The expiry given differs from the key's, so that the test sees
// which one the key has.
func TestCommitSameExpiry(t *testing.T) {
	onEachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		saved, given := time.Now().Add(time.Hour), time.Now().Add(2*time.Hour)
		keep := func(c vishnu.Change) *vishnu.Change {
			c.SameExpiry, c.Expires = true, given
			return &c
		}

		// A record kept: fields written, expiry untouched.
		if err := f.Save(ctx, "s", record(map[string]string{"a": "1", "b": "2"}), saved); err != nil {
			t.Fatal(err)
		}
		if err := f.Commit(ctx, "s", keep(vishnu.Change{Set: set("a", "10"), Delete: []string{"b"}})); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		wantFields(t, f, "s", map[string]string{"a": "10"})
		wantTTL(t, f, "s", saved)

		// A destroyed session stays destroyed.
		err := f.Commit(ctx, "gone", keep(vishnu.Change{Set: set("a", "1")}))
		if !errors.Is(err, vishnu.ErrNotFound) {
			t.Fatalf("Commit to a missing record: %v, want ErrNotFound", err)
		}
		wantNotFound(t, f, "gone")

		// Keys made anew get the expiry given: a record created, a record
		// replaced (its key deleted first), a string of the previous
		// layout turned into a hash.
		if err := f.Commit(ctx, "created", keep(vishnu.Change{Create: true, Set: set("a", "1")})); err != nil {
			t.Fatalf("Commit with Create: %v", err)
		}
		wantFields(t, f, "created", map[string]string{"a": "1"})
		wantTTL(t, f, "created", given)

		if err := f.Commit(ctx, "s", keep(vishnu.Change{Replace: true, Set: set("c", "3")})); err != nil {
			t.Fatalf("Commit with Replace: %v", err)
		}
		wantFields(t, f, "s", map[string]string{"c": "3"})
		wantTTL(t, f, "s", given)

		if err := f.c.Set(ctx, f.key("string"), record(map[string]string{"a": "1"}), time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		if err := f.Commit(ctx, "string", keep(vishnu.Change{Set: set("b", "2")})); err != nil {
			t.Fatalf("Commit to a string: %v", err)
		}
		wantFields(t, f, "string", map[string]string{"a": "1", "b": "2"})
		wantTTL(t, f, "string", given)
	})
}
