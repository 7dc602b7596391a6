package vishnu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"
)

// FuzzMemoryStoreCommit runs a sequence of commits (and saves, deletes and
// touches) on one record of the memory store, and the same on a record
// kept as bytes and changed with Change.Apply, and checks after each that
// both hold the same fields, and that whatever Load and load gave out
// earlier is unchanged. Values run from nothing to a few KiB, so records
// move between the store's two forms (see memRecord).
func FuzzMemoryStoreCommit(f *testing.F) {
	f.Add([]byte{0, 3, 2, 1, 0, 10, 2, 1, 200, 0, 2, 4, 0, 0, 1, 0})
	f.Add([]byte{0, 1, 3, 0, 255, 1, 255, 2, 255, 1, 0, 1, 0, 5, 0, 2, 1, 3, 0, 7})
	f.Add([]byte{5, 0, 0, 1, 1, 0, 40, 6, 0, 3, 0, 0, 3, 9, 9, 9, 8})
	f.Add(bytes.Repeat([]byte{0, 1, 4, 2, 250, 3, 250}, 12))
	// A record made large (kept as fields), then changed in place: a key
	// set and one deleted, then replaced.
	f.Add([]byte{0, 1, 2, 0, 200, 'a', 1, 1, 'b', 0, 0, 0, 1, 2, 1, 'c', 1, 1, 0, 2, 1, 3, 1, 'd', 0})
	f.Add([]byte("017000000100002"))
	f.Fuzz(func(t *testing.T, ops []byte) {
		ctx := context.Background()
		now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		st, err := NewMemoryStoreWithOptions(MemoryStoreOptions{Clock: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		in := fuzzInput(ops)
		var model []byte // the record as Change.Apply makes it; nil when none
		// What Load and load gave out, with a copy of its fields then.
		type given struct {
			what   string
			rec    []byte
			fields map[string][]byte
			kept   map[string][]byte
		}
		var out []given
		for step := 0; len(in) > 0 && step < 64; step++ {
			var err, want error
			var next []byte
			what := ""
			switch op := in.byte() % 8; op {
			case 5:
				next = EncodeRecord(in.fields())
				what = fmt.Sprintf("Save of %d bytes", len(next))
				err = st.Save(ctx, "s", next, now.Add(time.Hour))
			case 6:
				what = "Delete"
				err = st.Delete(ctx, "s")
			case 7:
				what = "Touch"
				err = st.Touch(ctx, "s", now.Add(2*time.Hour))
				next = model
				if model == nil {
					want = ErrNotFound
				}
			default:
				c := in.change()
				what = "Commit " + changeSummary(c)
				err = st.Commit(ctx, "s", c)
				if next, want = c.Apply(model); want != nil {
					next = model
				}
				// The caller reuses its buffers: the store must have
				// copied the values.
				for _, f := range c.Set {
					clear(f.Value)
				}
				if !c.Expires.After(now) {
					next = nil // committed expired: gone
				}
			}
			if (err == nil) != (want == nil) || !errors.Is(err, want) {
				t.Fatalf("step %d, %s: error %v, want %v", step, what, err, want)
			}
			model = next
			got, err := st.Load(ctx, "s")
			if model == nil {
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("step %d, %s: Load: %v, want ErrNotFound", step, what, err)
				}
				continue
			}
			wantFields, _ := DecodeRecord(model)
			gotFields, err := DecodeRecord(got)
			if err != nil || !fieldsEqual(gotFields, wantFields) {
				t.Fatalf("step %d, %s: Load gives %v (%v), want %v", step, what, gotFields, err, wantFields)
			}
			out = append(out, given{what: what + " (Load)", rec: got, kept: cloneFields(gotFields)})
			rec, loaded, err := st.load(ctx, "s")
			if loaded == nil {
				loaded, _ = DecodeRecord(rec)
			} else {
				out = append(out, given{what: what + " (load)", fields: loaded, kept: cloneFields(loaded)})
			}
			if err != nil || !fieldsEqual(loaded, wantFields) {
				t.Fatalf("step %d, %s: load gives %v (%v), want %v", step, what, loaded, err, wantFields)
			}
			// A session sets and deletes keys in its copy (never writing
			// into a value, as for Load's bytes): the store must not see
			// it (the next step's Load would).
			if _, mine, _ := st.load(ctx, "s"); mine != nil {
				mine["k0"] = []byte("changed by the session")
				delete(mine, "k2")
			}
			for _, g := range out {
				now := g.fields
				if g.rec != nil {
					now, _ = DecodeRecord(g.rec)
				}
				if !fieldsEqual(now, g.kept) {
					t.Fatalf("step %d, %s: what %s gave has changed", step, what, g.what)
				}
			}
		}
	})
}

// fuzzInput hands out the fuzzer's bytes, and zeros once they run out.
type fuzzInput []byte

func (in *fuzzInput) byte() byte {
	if len(*in) == 0 {
		return 0
	}
	b := (*in)[0]
	*in = (*in)[1:]
	return b
}

var fuzzKeys = []string{"k0", "k1", "k2", "k3", "k4", "", fieldCreated, "k7"}

// value is a value of 0 to 4 KiB, of a repeated byte.
func (in *fuzzInput) value() []byte {
	n, fill := int(in.byte())*16, in.byte()
	return bytes.Repeat([]byte{fill}, n)
}

func (in *fuzzInput) fields() map[string][]byte {
	fields := map[string][]byte{}
	for range in.byte() % 5 {
		fields[fuzzKeys[in.byte()%8]] = in.value()
	}
	return fields
}

func (in *fuzzInput) change() *Change {
	flags := in.byte()
	c := &Change{Create: flags&1 != 0, Replace: flags&2 != 0, Expires: time.Date(2030, 1, 1, 1, 0, 0, 0, time.UTC)}
	if flags&4 != 0 && flags&8 != 0 {
		c.Expires = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) // now: expired at once
	}
	for range in.byte() % 4 {
		c.Set = append(c.Set, Field{Key: fuzzKeys[in.byte()%8], Value: in.value()})
	}
	for range in.byte() % 3 {
		c.Delete = append(c.Delete, fuzzKeys[in.byte()%8])
	}
	return c
}

// changeSummary describes c without its values.
func changeSummary(c *Change) string {
	var sets []string
	for _, f := range c.Set {
		sets = append(sets, fmt.Sprintf("%q=%dB", f.Key, len(f.Value)))
	}
	return fmt.Sprintf("create=%v replace=%v set=%v delete=%q expires=%s", c.Create, c.Replace, sets, c.Delete, c.Expires.Format(time.TimeOnly))
}

func fieldsEqual(a, b map[string][]byte) bool {
	return maps.EqualFunc(a, b, bytes.Equal)
}

func cloneFields(f map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(f))
	for k, v := range f {
		out[k] = bytes.Clone(v)
	}
	return out
}
