package vishnu

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestMemTableModel runs random inserts, finds and removals against a Go
// map, over few enough ids that the table fills, grows and forms long
// probe runs, which removals must keep whole.
func TestMemTableModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	tbl := newMemTable()
	var slots []memSlot
	model := map[string]int32{}
	ids := make([]string, 300)
	for i := range ids {
		ids[i] = fmt.Sprint("id-", i)
	}
	ids[0] = strings.Repeat("long ", 20) // hashed, not held as it is
	for step := range 20_000 {
		id := ids[rng.IntN(len(ids))]
		k := keyOf(id)
		pos, slot, ok := tbl.find(&k, slots)
		want, in := model[id]
		if ok != in || (ok && slot != want) {
			t.Fatalf("step %d: find(%q) = %d, %v; want %d, %v", step, id, slot, ok, want, in)
		}
		switch {
		case !in:
			slots = append(slots, memSlot{key: k})
			tbl.insert(&k, int32(len(slots)-1))
			model[id] = int32(len(slots) - 1)
		case rng.IntN(2) == 0:
			tbl.removeAt(pos)
			delete(model, id)
		}
		if tbl.n != len(model) {
			t.Fatalf("step %d: %d entries, want %d", step, tbl.n, len(model))
		}
	}
	// Every id the model holds is found, and none other.
	for _, id := range ids {
		k := keyOf(id)
		_, slot, ok := tbl.find(&k, slots)
		if want, in := model[id]; ok != in || slot != want {
			t.Fatalf("find(%q) = %d, %v; want %d, %v", id, slot, ok, want, in)
		}
	}
	if 4*tbl.n > 3*len(tbl.entries) {
		t.Fatalf("%d entries in a table of %d: over three quarters full", tbl.n, len(tbl.entries))
	}
}
