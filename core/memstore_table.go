package vishnu

import "hash/maphash"

// memTable is the memory store's index from id to slot: a hash table of
// its own rather than a Go map, so that the id is stored once, in its slot
// (a map would hold a second copy as its key), and so that it holds no
// pointers, which spares the garbage collector from scanning it.
//
// It is open addressing with linear probing. An entry packs the slot
// number (plus one: zero is an empty entry) with the low 32 bits of the
// id's hash, which give both the entry's home position and a filter: a
// probe reads a slot to compare ids only when the bits match, and moving
// entries (on growth, and to close the gap a removal leaves) never reads a
// slot at all. Tables stay at most three quarters full.
type memTable struct {
	seed    maphash.Seed
	entries []uint64 // slot+1 << 32 | hash; 0 when empty
	n       int      // entries in use
}

func newMemTable() memTable { return memTable{seed: maphash.MakeSeed()} }

// hash returns the bits of k's hash that the table keeps.
func (t *memTable) hash(k *memKey) uint32 {
	return uint32(maphash.Bytes(t.seed, k.bytes()))
}

// find returns the position and slot of the id keyed k; ok is false when
// it is not in the table.
func (t *memTable) find(k *memKey, slots []memSlot) (pos int, slot int32, ok bool) {
	if len(t.entries) == 0 {
		return 0, 0, false
	}
	h, mask := t.hash(k), len(t.entries)-1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		e := t.entries[i]
		switch {
		case e == 0:
			return 0, 0, false
		case uint32(e) == h && slots[e>>32-1].key == *k:
			return i, int32(e>>32 - 1), true
		}
	}
}

// insert adds slot under k, which is not in the table.
func (t *memTable) insert(k *memKey, slot int32) {
	if 4*(t.n+1) > 3*len(t.entries) {
		t.grow()
	}
	t.place(uint64(slot+1)<<32 | uint64(t.hash(k)))
	t.n++
}

// place puts e at the first free position from its home.
func (t *memTable) place(e uint64) {
	mask := len(t.entries) - 1
	i := int(uint32(e)) & mask
	for t.entries[i] != 0 {
		i = (i + 1) & mask
	}
	t.entries[i] = e
}

func (t *memTable) grow() {
	old := t.entries
	t.entries = make([]uint64, max(8, 2*len(old)))
	for _, e := range old {
		if e != 0 {
			t.place(e)
		}
	}
}

// removeAt empties position pos, and moves back the entries after it that
// could not be at their home, so that no probe stops early at the gap.
func (t *memTable) removeAt(pos int) {
	mask := len(t.entries) - 1
	gap := pos
	for i := (pos + 1) & mask; t.entries[i] != 0; i = (i + 1) & mask {
		home := int(uint32(t.entries[i])) & mask
		// The entry at i may fill the gap when its home is not in the
		// cyclic range (gap, i].
		if (i-home)&mask >= (i-gap)&mask {
			t.entries[gap] = t.entries[i]
			gap = i
		}
	}
	t.entries[gap] = 0
	t.n--
}
