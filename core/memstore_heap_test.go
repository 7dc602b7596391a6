package vishnu

import (
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// checkHeap fails unless every entry expires no sooner than its parent and
// every slot knows its position.
func checkHeap(t *testing.T, h *expiryHeap) {
	t.Helper()
	for i := range h.ref {
		if p := (i - 1) / heapArity; i > 0 && h.exp[i] < h.exp[p] {
			t.Fatalf("entry %d expires at %d, before its parent %d at %d", i, h.exp[i], p, h.exp[p])
		}
		if int(h.at[h.ref[i]]) != i {
			t.Fatalf("slot %d at heap position %d believes it is at %d", h.ref[i], i, h.at[h.ref[i]])
		}
	}
}

func TestExpiryHeapOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		exps []int64
	}{
		{"ascending", []int64{1, 2, 3, 4, 5, 6, 7}},
		{"descending", []int64{7, 6, 5, 4, 3, 2, 1}},
		{"equal", []int64{3, 3, 3, 3}},
		{"mixed", []int64{5, -1, 9, 0, 5, 2, 8, -7, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h expiryHeap
			for i, e := range tc.exps {
				h.push(int32(i), e)
				checkHeap(t, &h)
			}
			want := slices.Sorted(slices.Values(tc.exps))
			for _, w := range want {
				slot, exp, ok := h.min()
				if !ok || exp != w || tc.exps[slot] != w {
					t.Fatalf("min = slot %d at %d (ok %v), want the expiry %d", slot, exp, ok, w)
				}
				h.remove(slot)
				checkHeap(t, &h)
			}
			if _, _, ok := h.min(); ok || h.len() != 0 {
				t.Fatal("the heap is not empty after every entry was removed")
			}
		})
	}
}

// TestExpiryHeapModel runs random pushes, changes and removals against a
// plain map, checking the heap's shape and its minimum after each.
func TestExpiryHeapModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h expiryHeap
	model := map[int32]int64{}
	for range 5_000 {
		slot := int32(rng.IntN(64))
		exp := rng.Int64N(100) - 50
		_, in := model[slot]
		switch op := rng.IntN(3); {
		case !in:
			h.push(slot, exp)
			model[slot] = exp
		case op == 0:
			h.remove(slot)
			delete(model, slot)
		default:
			h.set(slot, exp)
			model[slot] = exp
		}
		checkHeap(t, &h)
		if h.len() != len(model) {
			t.Fatalf("%d entries, want %d", h.len(), len(model))
		}
		slot, got, ok := h.min()
		if len(model) == 0 {
			if ok {
				t.Fatal("min of an empty heap")
			}
			continue
		}
		want := slices.Min(slices.Collect(maps.Values(model)))
		if !ok || got != want || model[slot] != want {
			t.Fatalf("min = slot %d at %d, want the expiry %d", slot, got, want)
		}
	}
}
