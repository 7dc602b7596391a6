package redisstore_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
	"github.com/vishnu-go/vishnu/internal/changetest"
)

// The commit script is vishnu's Change.Apply done on a hash of fields. These
// tests hold it to Apply: same fields for a valid record, an error for an
// invalid one, ErrNotFound for a missing one. The record may be one saved
// whole, or one that earlier commits have written fields and deletions into.

// checkCommitMatchesApply saves current (nothing when current is nil),
// commits each change of history to it, loads it, commits c and compares
// the outcome with Apply of c to the record loaded.
func checkCommitMatchesApply(t testing.TB, f *fixture, id string, current []byte, history []*vishnu.Change, c *vishnu.Change) {
	t.Helper()
	ctx := context.Background()
	defer func() { _ = f.Delete(ctx, id) }() // fuzz workers never run their cleanups
	if current != nil {
		// A minute is ample, and bounds what a killed fuzz worker leaves behind.
		if err := f.Save(ctx, id, current, time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range history {
		want, applyErr := h.Apply(current)
		if err := f.Commit(ctx, id, h); (err == nil) != (applyErr == nil) {
			t.Fatalf("Commit(%+v) on %q = %v; Apply says %v", h, current, err, applyErr)
		}
		if applyErr == nil {
			current = want
		}
	}
	if len(history) > 0 && current != nil {
		// What the history left, as Load gives it; its fields are Apply's.
		got, err := f.Load(ctx, id)
		if err != nil {
			t.Fatalf("Load after %d commits: %v", len(history), err)
		}
		if _, err := vishnu.DecodeRecord(current); err != nil {
			if !bytes.Equal(got, current) { // commits that failed changed nothing
				t.Fatalf("Load after %d failed commits gave %q, want %q", len(history), got, current)
			}
		} else {
			wantSameFields(t, got, current, "after the commits of its history")
		}
		current = got
	}
	want, applyErr := c.Apply(current)
	err := f.Commit(ctx, id, c)
	got, loadErr := f.Load(ctx, id)
	if loadErr != nil && !errors.Is(loadErr, vishnu.ErrNotFound) {
		t.Fatalf("Load: %v", loadErr)
	}
	switch {
	case errors.Is(applyErr, vishnu.ErrNotFound):
		if !errors.Is(err, vishnu.ErrNotFound) || !errors.Is(loadErr, vishnu.ErrNotFound) {
			t.Fatalf("Commit(%+v) on no record = %v, then Load = %q, %v; want ErrNotFound and no record", c, err, got, loadErr)
		}
	case applyErr != nil:
		if err == nil || errors.Is(err, vishnu.ErrNotFound) {
			t.Fatalf("Commit(%+v) on %q = %v; Apply says %v", c, current, err, applyErr)
		}
		if !bytes.Equal(got, current) {
			t.Fatalf("a failed Commit changed the record: %q, was %q", got, current)
		}
	default:
		if err != nil || loadErr != nil {
			t.Fatalf("Commit(%+v) on %q = %v, then Load: %v; Apply gives %q", c, current, err, loadErr, want)
		}
		wantSameFields(t, got, want, fmt.Sprintf("after Commit(%+v) on %q", c, current))
		// Every record keeps an expiry, whether the commit moved it or not.
		if ttl, err := f.c.PTTL(ctx, f.key(id)).Result(); err != nil || ttl <= 0 {
			t.Fatalf("after Commit(%+v) on %q: PTTL %v, %v; want an expiry", c, current, ttl, err)
		}
		// No name written twice, unless the stored record had one twice
		// already (EncodeRecord never does that): such fields are kept
		// as they are, and decode as Apply reads them.
		if changetest.Distinct(got) != nil && (current == nil || c.Replace || changetest.Distinct(current) == nil) {
			t.Fatalf("Commit wrote a field twice: %q; %v", got, changetest.Distinct(got))
		}
	}
}

// wantSameFields checks that the record got decodes to the fields of want,
// a valid record.
func wantSameFields(t testing.TB, got, want []byte, what string) {
	t.Helper()
	gotFields, err := vishnu.DecodeRecord(got)
	if err != nil {
		t.Fatalf("Load %s gave %q, which does not decode: %v", what, got, err)
	}
	wantFields, _ := vishnu.DecodeRecord(want)
	if !maps.EqualFunc(gotFields, wantFields, bytes.Equal) {
		t.Fatalf("Load %s gave %q, want the fields of %q", what, got, want)
	}
}

func TestCommitMalformed(t *testing.T) {
	f := newStore(t, singleClient(t))
	valid := record(map[string]string{"a": "1"})
	uv := func(n uint64) string { return string(binary.AppendUvarint(nil, n)) }
	for i, cur := range []string{
		"",                     // empty
		"not a record",         // wrong version
		"\x02\x00",             // unknown version
		"\x01",                 // no count
		"\x01\x01\x01a",        // value missing
		"\x01\x01\x01a\x05abc", // value cut short
		"\x01\x01\x01a\x01b!",  // trailing bytes
		"\x01\x02\x01a\x01b",   // count too large
		"\x01\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00",       // count of 11 bytes
		"\x01\x01" + uv(1<<62) + "a\x01b",                        // huge length
		"\x01\x01\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01a\x01b", // 10-byte length, too large
		string(valid[:len(valid)-1]),
		// Valid, though not as EncodeRecord writes them.
		"\x01\x01\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00\x00", // a 10-byte zero length, empty name and value
		"\x01\x02\x01a\x011\x01a\x012",                         // a name twice: the last value counts
		"\x01\x00",                                             // no fields
	} {
		for _, c := range []*vishnu.Change{
			{Set: set("k", "v"), Expires: time.Now().Add(time.Hour)},
			{Delete: []string{"a"}, Expires: time.Now().Add(time.Hour)},
			{Replace: true, Set: set("k", "v"), Expires: time.Now().Add(time.Hour)},
		} {
			checkCommitMatchesApply(t, f, "m"+strconv.Itoa(i), []byte(cur), nil, c)
		}
	}
}

// TestCommitMatchesApply runs random changes on random records.
func TestCommitMatchesApply(t *testing.T) {
	f := newStore(t, singleClient(t))
	r := rand.New(rand.NewPCG(1, 2))
	name := func() string {
		switch r.IntN(4) {
		case 0:
			return "" // a name Vishnu never uses, but a record may hold
		case 1:
			return "\x00created"
		default:
			return "k" + strconv.Itoa(r.IntN(8))
		}
	}
	value := func() []byte {
		b := make([]byte, r.IntN(300)) // lengths of one and two varint bytes
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		return b
	}
	for i := range 300 {
		var current []byte
		if r.IntN(5) > 0 {
			m := make(map[string][]byte)
			for range r.IntN(6) {
				m[name()] = value()
			}
			current = vishnu.EncodeRecord(m)
		}
		change := func() *vishnu.Change {
			c := &vishnu.Change{Create: r.IntN(2) == 0, Replace: r.IntN(4) == 0, Expires: time.Now().Add(time.Hour), SameExpiry: r.IntN(2) == 0}
			seen := make(map[string]bool)
			for range r.IntN(5) {
				k := name()
				if !seen[k] {
					seen[k] = true
					if r.IntN(2) == 0 {
						c.Delete = append(c.Delete, k)
					} else {
						c.Set = append(c.Set, vishnu.Field{Key: k, Value: value()})
					}
				}
			}
			return c
		}
		var history []*vishnu.Change
		for range r.IntN(3) {
			history = append(history, change())
		}
		checkCommitMatchesApply(t, f, "r"+strconv.Itoa(i), current, history, change())
	}
}

// FuzzCommitMatchesApply feeds the commit script arbitrary stored values and
// changes.
func FuzzCommitMatchesApply(f *testing.F) {
	changetest.AddSeeds(f)
	fx := newStore(f, singleClient(f))
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, current []byte, create, replace bool, ops []byte) {
		current, c := changetest.Change(current, create, replace, ops)
		// Every other input keeps the expiry, which leaves PEXPIREAT out
		// unless the key is made anew.
		c.SameExpiry = len(ops)%2 == 1
		checkCommitMatchesApply(t, fx, "f"+strconv.FormatInt(n.Add(1), 10), current, nil, c)
		// The same change again, on the record as this change left it: a
		// hash with a base, fields written and fields deleted.
		checkCommitMatchesApply(t, fx, "f"+strconv.FormatInt(n.Add(1), 10), current, []*vishnu.Change{swapped(c)}, c)
	})
}

// swapped returns c with what it sets deleted and what it deletes set (to
// the name itself), Replace dropped and Create kept.
func swapped(c *vishnu.Change) *vishnu.Change {
	s := &vishnu.Change{Create: c.Create, Expires: c.Expires}
	for _, f := range c.Set {
		s.Delete = append(s.Delete, f.Key)
	}
	for _, k := range c.Delete {
		s.Set = append(s.Set, vishnu.Field{Key: k, Value: []byte(k)})
	}
	return s
}
