package vishnu

// expiryHeap orders the memory store's records (and its index entries) by
// expiry, soonest first, so that sweeping and eviction cost O(log n) each.
// It refers to what it orders by number (a slot), and keeps each one's
// expiry beside it: comparing two entries reads the heap alone, never the
// slots, which matters at millions of records, where every slot read is a
// cache miss. It is 4-ary: half the levels of a binary heap, and the
// children of an entry share a cache line. Nothing in it is a pointer, so
// the garbage collector never scans it.
const heapArity = 4

type expiryHeap struct {
	exp []int64 // exp[i]: the expiry of the entry at heap position i, Unix nanoseconds
	ref []int32 // ref[i]: the slot at heap position i
	at  []int32 // at[slot]: the slot's heap position; meaningful only while it is in the heap
}

func (h *expiryHeap) len() int { return len(h.ref) }

// min returns the slot that expires first and its expiry; ok is false when
// the heap is empty.
func (h *expiryHeap) min() (slot int32, exp int64, ok bool) {
	if len(h.ref) == 0 {
		return 0, 0, false
	}
	return h.ref[0], h.exp[0], true
}

// push adds slot, which must not be in the heap, to expire at exp.
func (h *expiryHeap) push(slot int32, exp int64) {
	for int(slot) >= len(h.at) {
		h.at = append(h.at, 0)
	}
	h.exp = append(h.exp, exp)
	h.ref = append(h.ref, slot)
	h.at[slot] = int32(len(h.ref) - 1)
	h.up(len(h.ref) - 1)
}

// set changes the expiry of slot, which is in the heap.
func (h *expiryHeap) set(slot int32, exp int64) {
	i := int(h.at[slot])
	h.exp[i] = exp
	h.fix(i)
}

// remove takes slot, which is in the heap, out of it.
func (h *expiryHeap) remove(slot int32) {
	i, last := int(h.at[slot]), len(h.ref)-1
	if i != last {
		h.swap(i, last)
	}
	h.exp, h.ref = h.exp[:last], h.ref[:last]
	if i != last {
		h.fix(i)
	}
}

func (h *expiryHeap) swap(a, b int) {
	h.exp[a], h.exp[b] = h.exp[b], h.exp[a]
	h.ref[a], h.ref[b] = h.ref[b], h.ref[a]
	h.at[h.ref[a]], h.at[h.ref[b]] = int32(a), int32(b)
}

func (h *expiryHeap) fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

func (h *expiryHeap) up(i int) {
	for i > 0 {
		parent := (i - 1) / heapArity
		if h.exp[i] >= h.exp[parent] {
			return
		}
		h.swap(i, parent)
		i = parent
	}
}

// down sifts the entry at i down, and reports whether it moved.
func (h *expiryHeap) down(i int) bool {
	start, n := i, len(h.ref)
	for {
		first := heapArity*i + 1
		if first >= n {
			break
		}
		child := first
		for c := first + 1; c < min(first+heapArity, n); c++ {
			if h.exp[c] < h.exp[child] {
				child = c
			}
		}
		if h.exp[child] >= h.exp[i] {
			break
		}
		h.swap(i, child)
		i = child
	}
	return i > start
}
