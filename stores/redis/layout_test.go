package redisstore_test

import (
	"context"
	"maps"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// wantHash checks the fields of the session hash of id.
func wantHash(t *testing.T, f *fixture, id string, want map[string]string) {
	t.Helper()
	got, err := f.c.HGetAll(context.Background(), f.key(id)).Result()
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, want) {
		t.Fatalf("HGETALL %s = %q, want %q", f.key(id), got, want)
	}
}

// TestLayout: Save writes the record whole as the hash's base; a commit
// writes the fields it sets and deletes beside it, leaving the base as it
// is; Replace and Save start a new hash.
func TestLayout(t *testing.T) {
	onEachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		exp := time.Now().Add(time.Hour)
		rec := record(map[string]string{"a": "1", "b": "2"})
		if err := f.Save(ctx, "s", rec, exp); err != nil {
			t.Fatal(err)
		}
		wantHash(t, f, "s", map[string]string{"#": "", "@": string(rec)})

		if err := f.Commit(ctx, "s", &vishnu.Change{Set: set("a", "10", "#", "x", "@", ""), Delete: []string{"b"}, Expires: exp}); err != nil {
			t.Fatal(err)
		}
		wantHash(t, f, "s", map[string]string{"#": "", "@": string(rec), ".a": "=10", ".b": "", ".#": "=x", ".@": "="})
		wantFields(t, f, "s", map[string]string{"a": "10", "#": "x", "@": ""})
		wantTTL(t, f, "s", exp)

		// A name set twice keeps its last value; a name set and deleted is set.
		if err := f.Commit(ctx, "s", &vishnu.Change{Set: set("b", "3", "c", "4", "b", "5"), Delete: []string{"c", "a", "a"}, Expires: exp}); err != nil {
			t.Fatal(err)
		}
		wantHash(t, f, "s", map[string]string{"#": "", "@": string(rec), ".a": "", ".b": "=5", ".c": "=4", ".#": "=x", ".@": "="})
		wantFields(t, f, "s", map[string]string{"b": "5", "c": "4", "#": "x", "@": ""})

		if err := f.Commit(ctx, "s", &vishnu.Change{Replace: true, Set: set("d", "6"), Delete: []string{"b"}, Expires: exp}); err != nil {
			t.Fatal(err)
		}
		wantHash(t, f, "s", map[string]string{"#": "", ".d": "=6"})
		wantFields(t, f, "s", map[string]string{"d": "6"})

		if err := f.Commit(ctx, "s", &vishnu.Change{Delete: []string{"d"}, Expires: exp}); err != nil {
			t.Fatal(err)
		}
		wantHash(t, f, "s", map[string]string{"#": "", ".d": ""})
		wantFields(t, f, "s", map[string]string{})

		// Bytes that are not a record are kept whole, without "#".
		if err := f.Save(ctx, "s", []byte("not a record"), exp); err != nil {
			t.Fatal(err)
		}
		wantHash(t, f, "s", map[string]string{"@": "not a record"})

		if err := f.Commit(ctx, "new", &vishnu.Change{Create: true, Expires: exp}); err != nil {
			t.Fatal(err)
		}
		wantHash(t, f, "new", map[string]string{"#": ""})
		wantFields(t, f, "new", map[string]string{})
	})
}

// TestPreviousLayout: a session the previous layout wrote, a string holding
// the record, is loaded, touched, committed to (which makes it a hash whose
// base is that record), replaced and deleted.
func TestPreviousLayout(t *testing.T) {
	onEachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		exp := time.Now().Add(time.Hour)
		rec := record(map[string]string{"a": "1", "b": "2"})
		for _, id := range []string{"load", "commit", "replace", "save", "delete"} {
			if err := f.c.Set(ctx, f.key(id), rec, time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
		}
		wantData(t, f, "load", rec)
		if err := f.Touch(ctx, "load", exp); err != nil {
			t.Fatalf("Touch: %v", err)
		}
		wantTTL(t, f, "load", exp)
		wantData(t, f, "load", rec)

		if err := f.Commit(ctx, "commit", &vishnu.Change{Set: set("c", "3"), Delete: []string{"a"}, Expires: exp}); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		wantHash(t, f, "commit", map[string]string{"#": "", "@": string(rec), ".c": "=3", ".a": ""})
		wantFields(t, f, "commit", map[string]string{"b": "2", "c": "3"})
		wantTTL(t, f, "commit", exp)

		if err := f.Commit(ctx, "replace", &vishnu.Change{Replace: true, Set: set("c", "3"), Expires: exp}); err != nil {
			t.Fatalf("Commit with Replace: %v", err)
		}
		wantFields(t, f, "replace", map[string]string{"c": "3"})

		other := record(map[string]string{"x": "y"})
		if err := f.Save(ctx, "save", other, exp); err != nil {
			t.Fatalf("Save: %v", err)
		}
		wantHash(t, f, "save", map[string]string{"#": "", "@": string(other)})
		wantTTL(t, f, "save", exp)

		if err := f.Delete(ctx, "delete"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		wantNotFound(t, f, "delete")
	})
}
