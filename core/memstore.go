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
// It commits atomically (Committer) and refreshes expiry without copying
// data (Toucher).
//
// Its layout keeps the garbage collector's work small however many
// sessions it holds: the index from id to slot and the expiry heap hold no
// pointers, so the collector never scans them, and each session costs it
// one pointer (its record).
type MemoryStore struct {
	mu    sync.Mutex
	index map[memKey]int32 // slot of each id
	slots []memSlot
	free  []int32 // slots not in use
	byExp []int32 // a heap of slots, soonest expiry first
	max   int
	now   func() time.Time
	users map[string]map[string]userEntry // the index of sessions per user
}

type userEntry struct {
	info    []byte
	expires int64
}

// MemoryStoreOptions configures NewMemoryStoreWithOptions.
type MemoryStoreOptions struct {
	// MaxEntries bounds the number of records; when it is reached, the
	// record closest to expiry is dropped to make room. Optional. Default
	// is 100,000.
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
	data    []byte
	expires int64 // Unix nanoseconds: cheaper to compare than a time.Time
	heapAt  int32 // position in byExp
	key     memKey
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
	return &MemoryStore{index: make(map[memKey]int32), max: o.MaxEntries, now: o.Clock, users: make(map[string]map[string]userEntry)}, nil
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

// AddUserSession implements UserIndex.
func (s *MemoryStore) AddUserSession(ctx context.Context, user, id string, info []byte, expires time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp := unixNano(expires)
	if exp <= unixNano(s.now()) {
		s.removeUserLocked(user, id)
		return nil
	}
	entries := s.users[user]
	if entries == nil {
		entries = make(map[string]userEntry)
		s.users[user] = entries
	}
	entries[id] = userEntry{info: append([]byte(nil), info...), expires: exp}
	return nil
}

// RemoveUserSession implements UserIndex.
func (s *MemoryStore) RemoveUserSession(ctx context.Context, user, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removeUserLocked(user, id)
	return nil
}

func (s *MemoryStore) removeUserLocked(user, id string) {
	delete(s.users[user], id)
	if len(s.users[user]) == 0 {
		delete(s.users, user)
	}
}

// UserSessions implements UserIndex. Expired entries are dropped as they
// are met.
func (s *MemoryStore) UserSessions(ctx context.Context, user string) (map[string][]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := unixNano(s.now())
	out := make(map[string][]byte, len(s.users[user]))
	for id, e := range s.users[user] {
		if e.expires <= now {
			s.removeUserLocked(user, id)
			continue
		}
		out[id] = e.info
	}
	return out, nil
}

// liveLocked returns the slot of the unexpired record under k.
func (s *MemoryStore) liveLocked(k memKey) (int32, bool) {
	s.sweepLocked()
	i, ok := s.index[k]
	return i, ok
}

// sweepLocked drops expired records, soonest first: O(log n) per record
// dropped and O(1) when none is due.
func (s *MemoryStore) sweepLocked() {
	now := unixNano(s.now())
	for len(s.byExp) > 0 && s.slots[s.byExp[0]].expires <= now {
		s.removeLocked(s.byExp[0])
	}
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
		sl := &s.slots[i]
		sl.data, sl.expires = data, exp
		s.fixLocked(int(sl.heapAt))
		return
	}
	if len(s.index) >= s.max {
		s.removeLocked(s.byExp[0])
	}
	if n := len(s.free); n > 0 {
		i, s.free = s.free[n-1], s.free[:n-1]
	} else {
		i = int32(len(s.slots))
		s.slots = append(s.slots, memSlot{})
	}
	s.slots[i] = memSlot{data: data, expires: exp, heapAt: int32(len(s.byExp)), key: k}
	s.index[k] = i
	s.byExp = append(s.byExp, i)
	s.upLocked(len(s.byExp) - 1)
}

func (s *MemoryStore) removeLocked(i int32) {
	sl := &s.slots[i]
	at, last := int(sl.heapAt), len(s.byExp)-1
	if at != last {
		s.swapLocked(at, last)
	}
	s.byExp = s.byExp[:last]
	if at != last {
		s.fixLocked(at)
	}
	delete(s.index, sl.key)
	*sl = memSlot{} // let the record go
	s.free = append(s.free, i)
}

// The expiry heap, over slot numbers.

func (s *MemoryStore) less(a, b int) bool {
	return s.slots[s.byExp[a]].expires < s.slots[s.byExp[b]].expires
}

func (s *MemoryStore) swapLocked(a, b int) {
	h := s.byExp
	h[a], h[b] = h[b], h[a]
	s.slots[h[a]].heapAt, s.slots[h[b]].heapAt = int32(a), int32(b)
}

func (s *MemoryStore) fixLocked(at int) {
	if !s.downLocked(at) {
		s.upLocked(at)
	}
}

func (s *MemoryStore) upLocked(at int) {
	for at > 0 {
		parent := (at - 1) / 2
		if !s.less(at, parent) {
			return
		}
		s.swapLocked(at, parent)
		at = parent
	}
}

// downLocked sifts the entry at at down, and reports whether it moved.
func (s *MemoryStore) downLocked(at int) bool {
	start, n := at, len(s.byExp)
	for {
		child := 2*at + 1
		if child >= n {
			break
		}
		if r := child + 1; r < n && s.less(r, child) {
			child = r
		}
		if !s.less(child, at) {
			break
		}
		s.swapLocked(at, child)
		at = child
	}
	return at > start
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
