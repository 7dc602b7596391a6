package vishnu

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"sync"
	"time"
)

// MemoryStore keeps sessions in the process's memory: the embedded default
// for development and tests, and fine for a single instance that can lose
// its sessions on restart. Expired records are removed as the store is used,
// and the number of records is bounded, so memory stays bounded under load.
// It commits atomically (Committer), refreshes expiry without copying data
// (Toucher), and keeps an index of sessions per user (UserIndex) that is
// bounded with it: an entry goes when its session's record goes, the
// entries number at most MaxEntries, and each holds at most
// MemoryStoreMaxInfo bytes of info.
//
// Its layout keeps the garbage collector's work small however many
// sessions it holds: the index from id to slot and the expiry heap hold no
// pointers, so the collector never scans them, and each session costs it
// one pointer (its record).
type MemoryStore struct {
	mu    sync.Mutex
	index map[memKey]int32 // slot of each id
	slots []memSlot
	free  []int32    // slots not in use
	byExp expiryHeap // the slots in use
	max   int
	now   func() time.Time
	users memUsers // the index of sessions per user
}

// MemoryStoreOptions configures NewMemoryStoreWithOptions.
type MemoryStoreOptions struct {
	// MaxEntries bounds the number of records, and apart from them the
	// number of entries of the index of sessions per user; when it is
	// reached, the record (or entry) closest to expiry is dropped to make
	// room. Optional. Default is 100,000.
	MaxEntries int

	// Clock returns the current time. Optional. Default is time.Now.
	Clock func() time.Time
}

// memKey is an id as a map key without pointers: the id itself when it
// fits (core's ids are 43 bytes), else its SHA-256.
type memKey struct {
	n uint8 // the id's length, or hashedKey
	b [47]byte
}

const hashedKey = 0xff

func keyOf(id string) memKey {
	var k memKey
	if len(id) <= len(k.b) {
		k.n = uint8(len(id))
		copy(k.b[:], id)
		return k
	}
	sum := sha256.Sum256([]byte(id))
	k.n = hashedKey
	copy(k.b[:], sum[:])
	return k
}

type memSlot struct {
	data []byte
	key  memKey
}

var (
	_ Store     = (*MemoryStore)(nil)
	_ Committer = (*MemoryStore)(nil)
	_ Toucher   = (*MemoryStore)(nil)
	_ UserIndex = (*MemoryStore)(nil)
)

// NewMemoryStore returns a MemoryStore with the default options.
func NewMemoryStore() *MemoryStore {
	s, _ := NewMemoryStoreWithOptions(MemoryStoreOptions{})
	return s
}

// NewMemoryStoreWithOptions returns a MemoryStore configured by o.
func NewMemoryStoreWithOptions(o MemoryStoreOptions) (*MemoryStore, error) {
	if o.MaxEntries < 0 {
		return nil, fmt.Errorf("vishnu: MemoryStoreOptions.MaxEntries must not be negative, got %d", o.MaxEntries)
	}
	if o.MaxEntries == 0 {
		o.MaxEntries = 100_000
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	s := &MemoryStore{index: make(map[memKey]int32), max: o.MaxEntries, now: o.Clock}
	s.users.init()
	return s, nil
}

// Len returns the number of live records.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked()
	return len(s.index)
}

// Load implements Store.
func (s *MemoryStore) Load(ctx context.Context, id string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.liveLocked(keyOf(id))
	if !ok {
		return nil, ErrNotFound
	}
	return s.slots[i].data, nil // never modified in place: writes replace it
}

// Save implements Store.
func (s *MemoryStore) Save(ctx context.Context, id string, data []byte, expires time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putLocked(keyOf(id), append([]byte(nil), data...), expires)
	return nil
}

// Delete implements Store.
func (s *MemoryStore) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.index[keyOf(id)]; ok {
		s.removeLocked(i)
	}
	return nil
}

// Commit implements Committer: the change is applied under the store's lock.
func (s *MemoryStore) Commit(ctx context.Context, id string, c *Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := keyOf(id)
	var cur []byte
	if i, ok := s.liveLocked(k); ok {
		cur = s.slots[i].data
	}
	rec, err := c.Apply(cur)
	if err != nil {
		return err
	}
	s.putLocked(k, rec, c.Expires)
	return nil
}

// Touch implements Toucher.
func (s *MemoryStore) Touch(ctx context.Context, id string, expires time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := keyOf(id)
	i, ok := s.liveLocked(k)
	if !ok {
		return ErrNotFound
	}
	s.putLocked(k, s.slots[i].data, expires)
	return nil
}

// liveLocked returns the slot of the unexpired record under k.
func (s *MemoryStore) liveLocked(k memKey) (int32, bool) {
	s.sweepLocked()
	i, ok := s.index[k]
	return i, ok
}

// sweepLocked drops expired records and index entries, soonest first:
// O(log n) for each one dropped and O(1) when none is due. A record that
// expires at the present nanosecond is expired.
func (s *MemoryStore) sweepLocked() {
	now := unixNano(s.now())
	for i, exp, ok := s.byExp.min(); ok && exp <= now; i, exp, ok = s.byExp.min() {
		s.removeLocked(i)
	}
	s.sweepEntriesLocked(now)
}

func (s *MemoryStore) putLocked(k memKey, data []byte, expires time.Time) {
	s.sweepLocked()
	exp := unixNano(expires)
	i, ok := s.index[k]
	if exp <= unixNano(s.now()) {
		if ok {
			s.removeLocked(i)
		}
		return
	}
	if ok {
		s.slots[i].data = data
		s.byExp.set(i, exp)
		return
	}
	if len(s.index) >= s.max {
		first, _, _ := s.byExp.min()
		s.removeLocked(first)
	}
	if n := len(s.free); n > 0 {
		i, s.free = s.free[n-1], s.free[:n-1]
	} else {
		i = int32(len(s.slots))
		s.slots = append(s.slots, memSlot{})
	}
	s.slots[i] = memSlot{data: data, key: k}
	s.index[k] = i
	s.byExp.push(i, exp)
}

// removeLocked drops the record in slot i, and the index entries of its
// id: a session whose record is gone has ended.
func (s *MemoryStore) removeLocked(i int32) {
	sl := &s.slots[i]
	s.byExp.remove(i)
	delete(s.index, sl.key)
	s.dropEntriesOfLocked(sl.key)
	*sl = memSlot{} // let the record go
	s.free = append(s.free, i)
}

// unixNano is t in Unix nanoseconds, clamped to what an int64 holds (years
// 1678 to 2262), so that a far-off expiry is not taken for a past one.
func unixNano(t time.Time) int64 {
	switch {
	case t.Year() >= 2262:
		return math.MaxInt64
	case t.Year() <= 1678:
		return math.MinInt64
	}
	return t.UnixNano()
}
