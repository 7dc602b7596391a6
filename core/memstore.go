package vishnu

import (
	"context"
	"crypto/sha256"
	"fmt"
	"maps"
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
// A commit costs what it changes, not the size of the session: a large
// record is kept as its fields, which a commit changes in place (see
// memRecord).
//
// Its layout keeps the garbage collector's work small however many
// sessions it holds: the index from id to slot and the expiry heap hold no
// pointers, so the collector never scans them, and each session costs it
// one pointer (its record). Each id is stored once, in its slot.
type MemoryStore struct {
	mu    sync.Mutex
	index memTable // the slot of each id
	slots []memSlot
	free  []int32    // slots not in use
	byExp expiryHeap // the slots in use, by expiry (see memSlot.expires)
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

// memKey is an id without pointers: the id itself when it fits (core's
// ids are 43 bytes), else its SHA-256.
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

// bytes returns the bytes k holds.
func (k *memKey) bytes() []byte {
	if k.n == hashedKey {
		return k.b[:sha256.Size]
	}
	return k.b[:k.n]
}

type memSlot struct {
	key memKey
	rec memRecord
	// expires is the record's expiry, in Unix nanoseconds (cheaper to
	// compare than a time.Time). The heap holds it too, or an earlier
	// time: a later expiry, which is what nearly every write sets, is
	// moved into the heap only when the heap's earlier one comes due, so
	// that a write costs no walk down the heap.
	expires int64
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
	s := &MemoryStore{index: newMemTable(), max: o.MaxEntries, now: o.Clock}
	s.users.init()
	return s, nil
}

// Len returns the number of live records.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked()
	return s.index.n
}

// Load implements Store. A large record, kept as fields, is encoded
// afresh by each call; a small one is returned as it is held, which is
// never modified.
func (s *MemoryStore) Load(ctx context.Context, id string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := keyOf(id)
	i, ok := s.liveLocked(&k)
	if !ok {
		return nil, ErrNotFound
	}
	return s.slots[i].rec.encoded(), nil
}

// load is Load for core's sessions: a record kept as fields comes as a
// copy of them (fields), with nothing to encode and decode; another as its
// bytes (rec).
func (s *MemoryStore) load(ctx context.Context, id string) (rec []byte, fields map[string][]byte, err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := keyOf(id)
	i, ok := s.liveLocked(&k)
	if !ok {
		return nil, nil, ErrNotFound
	}
	r := &s.slots[i].rec
	if r.fields != nil {
		return nil, maps.Clone(r.fields), nil
	}
	return r.data, nil, nil
}

// loadStored loads the record of id from st for a session: see load.
func loadStored(ctx context.Context, st Store, id string) (rec []byte, fields map[string][]byte, err error) {
	if ms, ok := st.(*MemoryStore); ok {
		return ms.load(ctx, id)
	}
	rec, err = st.Load(ctx, id)
	return rec, nil, err
}

// Save implements Store.
func (s *MemoryStore) Save(ctx context.Context, id string, data []byte, expires time.Time) error {
	return s.save(ctx, id, append([]byte(nil), data...), expires)
}

// save is Save of data that the store may keep: the caller gives it up.
func (s *MemoryStore) save(ctx context.Context, id string, data []byte, expires time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := keyOf(id)
	i, ok := s.putLocked(&k, expires)
	if ok {
		s.slots[i].rec = newMemRecord(data)
	}
	return nil
}

// saveStored saves rec, a record the caller gives up, under id in st: the
// memory store keeps it as it is, where Save would copy it.
func saveStored(ctx context.Context, st Store, id string, rec []byte, expires time.Time) error {
	if ms, ok := st.(*MemoryStore); ok {
		return ms.save(ctx, id, rec, expires)
	}
	return st.Save(ctx, id, rec, expires)
}

// Delete implements Store.
func (s *MemoryStore) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := keyOf(id)
	if pos, i, ok := s.index.find(&k, s.slots); ok {
		s.removeLocked(pos, i)
	}
	return nil
}

// Commit implements Committer: the change is applied under the store's
// lock, to the record in place when it is kept as fields.
func (s *MemoryStore) Commit(ctx context.Context, id string, c *Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := keyOf(id)
	i, ok := s.liveLocked(&k)
	if !ok && !c.Create {
		return ErrNotFound
	}
	var next memRecord
	if ok {
		next = s.slots[i].rec
	}
	if err := next.apply(c, ok); err != nil {
		return err
	}
	if ok && c.SameExpiry {
		s.slots[i].rec = next // its expiry stays: no need to find it again
		return nil
	}
	if i, ok = s.putLocked(&k, c.Expires); ok {
		s.slots[i].rec = next
	}
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
	if _, ok := s.liveLocked(&k); !ok {
		return ErrNotFound
	}
	s.putLocked(&k, expires)
	return nil
}

// liveLocked returns the slot of the unexpired record under k.
func (s *MemoryStore) liveLocked(k *memKey) (int32, bool) {
	s.sweepLocked()
	_, i, ok := s.index.find(k, s.slots)
	return i, ok
}

// sweepLocked drops expired records and index entries, soonest first:
// O(log n) for each one dropped and O(1) when none is due. A record that
// expires at the present nanosecond is expired. It returns that present.
func (s *MemoryStore) sweepLocked() (now int64) {
	now = unixNano(s.now())
	for i, exp, ok := s.byExp.min(); ok && exp <= now; i, exp, ok = s.byExp.min() {
		if later := s.slots[i].expires; later > now {
			s.byExp.set(i, later) // refreshed since: not due
			continue
		}
		pos, _, _ := s.index.find(&s.slots[i].key, s.slots)
		s.removeLocked(pos, i)
	}
	s.sweepEntriesLocked(now)
	return now
}

// putLocked sets the expiry of the record under k, making room for it
// when it is new, and returns its slot, whose record the caller sets. A
// record given an expiry that has passed is removed instead, and ok is
// false.
func (s *MemoryStore) putLocked(k *memKey, expires time.Time) (slot int32, ok bool) {
	now := s.sweepLocked()
	exp := unixNano(expires)
	pos, i, found := s.index.find(k, s.slots)
	if exp <= now {
		if found {
			s.removeLocked(pos, i)
		}
		return 0, false
	}
	if found {
		sl := &s.slots[i]
		if exp < sl.expires {
			s.byExp.set(i, exp) // sooner: the heap must know now
		}
		sl.expires = exp
		return i, true
	}
	if s.index.n >= s.max {
		s.evictLocked()
	}
	if n := len(s.free); n > 0 {
		i, s.free = s.free[n-1], s.free[:n-1]
	} else {
		i = int32(len(s.slots))
		s.slots = append(s.slots, memSlot{})
	}
	s.slots[i] = memSlot{key: *k, expires: exp}
	s.index.insert(k, i)
	s.byExp.push(i, exp)
	return i, true
}

// evictLocked drops the record closest to expiry. The heap may hold an
// earlier expiry than a record's own (see memSlot.expires): such a one is
// put right, and the next looked at.
func (s *MemoryStore) evictLocked() {
	for {
		i, exp, _ := s.byExp.min()
		if later := s.slots[i].expires; later != exp {
			s.byExp.set(i, later)
			continue
		}
		pos, _, _ := s.index.find(&s.slots[i].key, s.slots)
		s.removeLocked(pos, i)
		return
	}
}

// removeLocked drops the record in slot i, at position pos of the index,
// and the index entries of its id: a session whose record is gone has
// ended.
func (s *MemoryStore) removeLocked(pos int, i int32) {
	sl := &s.slots[i]
	s.byExp.remove(i)
	s.index.removeAt(pos)
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
