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
