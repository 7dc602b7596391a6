package vishnu

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// A commit into a large record changes it in place: the fields that stay
// are neither copied nor re-encoded.
func TestMemoryStoreCommitInPlace(t *testing.T) {
	ctx := context.Background()
	st := NewMemoryStore()
	fields := map[string][]byte{}
	for i := range 100 {
		fields[fmt.Sprint("k", i)] = []byte(strings.Repeat("a", 64))
	}
	exp := time.Now().Add(time.Hour)
	if err := st.Save(ctx, "s", EncodeRecord(fields), exp); err != nil {
		t.Fatal(err)
	}
	k := keyOf("s")
	_, i, _ := st.index.find(&k, st.slots)
	stored := st.slots[i].rec.fields
	if stored == nil {
		t.Fatalf("a record of %d bytes is kept encoded, want as fields (over %d)", len(EncodeRecord(fields)), memFieldsOver)
	}
	kept := &stored["k5"][0]
	if err := st.Commit(ctx, "s", &Change{Set: []Field{{Key: "k0", Value: []byte("b")}}, Delete: []string{"k1"}, Expires: exp}); err != nil {
		t.Fatal(err)
	}
	_, i, _ = st.index.find(&k, st.slots)
	now := st.slots[i].rec.fields
	if now == nil || &now["k5"][0] != kept || len(now) != 99 || string(now["k0"]) != "b" {
		t.Fatalf("after a commit of one key: %d fields, k0 %q, the others copied: %v", len(now), now["k0"], &now["k5"][0] != kept)
	}
	// A small record is kept as its bytes.
	st.Save(ctx, "small", EncodeRecord(map[string][]byte{"a": []byte("1")}), exp)
	k = keyOf("small")
	if _, i, _ = st.index.find(&k, st.slots); st.slots[i].rec.fields != nil {
		t.Fatal("a small record is kept as fields, want as bytes")
	}
}

// A commit that keeps the expiry leaves the record's as it is; one that
// creates the record gives it the expiry of the change.
func TestMemoryStoreCommitSameExpiry(t *testing.T) {
	ctx := context.Background()
	c := newMemTestClock()
	st := newTestMemStore(t, 10, c)
	if err := st.Save(ctx, "s", EncodeRecord(map[string][]byte{"a": []byte("1")}), c.in(time.Hour)); err != nil {
		t.Fatal(err)
	}
	keep := &Change{Set: []Field{{Key: "a", Value: []byte("2")}}, Expires: c.in(2 * time.Hour), SameExpiry: true}
	if err := st.Commit(ctx, "s", keep); err != nil {
		t.Fatal(err)
	}
	create := &Change{Create: true, Set: []Field{{Key: "b", Value: []byte("1")}}, Expires: c.in(2 * time.Hour), SameExpiry: true}
	if err := st.Commit(ctx, "new", create); err != nil {
		t.Fatal(err)
	}
	c.Add(time.Hour)
	if _, err := st.Load(ctx, "s"); err != ErrNotFound {
		t.Fatalf("Load an hour later: %v, want ErrNotFound (the expiry kept)", err)
	}
	rec, err := st.Load(ctx, "new")
	if err != nil {
		t.Fatalf("Load of the record created: %v", err)
	}
	if f, _ := DecodeRecord(rec); string(f["b"]) != "1" {
		t.Fatalf("record created: %q", rec)
	}
}
