package vishnu

import (
	"container/heap"
	"context"
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
type MemoryStore struct {
	mu      sync.Mutex
	entries map[string]*memEntry
	byExp   expiryHeap
	max     int
	now     func() time.Time
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

type memEntry struct {
	id      string
	data    []byte
	expires int64 // Unix nanoseconds: cheaper to compare, nothing for the GC to scan
	index   int   // in byExp
}

var (
	_ Store     = (*MemoryStore)(nil)
	_ Committer = (*MemoryStore)(nil)
	_ Toucher   = (*MemoryStore)(nil)
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
	return &MemoryStore{entries: make(map[string]*memEntry), max: o.MaxEntries, now: o.Clock}, nil
}

// Len returns the number of live records.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked()
	return len(s.entries)
}

// Load implements Store.
func (s *MemoryStore) Load(ctx context.Context, id string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.liveLocked(id)
	if e == nil {
		return nil, ErrNotFound
	}
	return e.data, nil // never modified in place: writes replace it
}

// Save implements Store.
func (s *MemoryStore) Save(ctx context.Context, id string, data []byte, expires time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putLocked(id, append([]byte(nil), data...), expires)
	return nil
}

// Delete implements Store.
func (s *MemoryStore) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.entries[id]; ok {
		s.removeLocked(e)
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
	var cur []byte
	if e := s.liveLocked(id); e != nil {
		cur = e.data
	}
	rec, err := c.Apply(cur)
	if err != nil {
		return err
	}
	s.putLocked(id, rec, c.Expires)
	return nil
}

// Touch implements Toucher.
func (s *MemoryStore) Touch(ctx context.Context, id string, expires time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.liveLocked(id)
	if e == nil {
		return ErrNotFound
	}
	s.putLocked(id, e.data, expires)
	return nil
}

// liveLocked returns the unexpired entry for id, or nil.
func (s *MemoryStore) liveLocked(id string) *memEntry {
	s.sweepLocked()
	return s.entries[id]
}

// sweepLocked drops expired records, soonest first: O(log n) per record
// dropped and O(1) when none is due.
func (s *MemoryStore) sweepLocked() {
	now := unixNano(s.now())
	for len(s.byExp) > 0 && s.byExp[0].expires <= now {
		s.removeLocked(s.byExp[0])
	}
}

func (s *MemoryStore) putLocked(id string, data []byte, expires time.Time) {
	s.sweepLocked()
	exp := unixNano(expires)
	if exp <= unixNano(s.now()) {
		if e, ok := s.entries[id]; ok {
			s.removeLocked(e)
		}
		return
	}
	if e, ok := s.entries[id]; ok {
		e.data, e.expires = data, exp
		heap.Fix(&s.byExp, e.index)
		return
	}
	if len(s.entries) >= s.max {
		s.removeLocked(s.byExp[0])
	}
	e := &memEntry{id: id, data: data, expires: exp}
	s.entries[id] = e
	heap.Push(&s.byExp, e)
}

func (s *MemoryStore) removeLocked(e *memEntry) {
	heap.Remove(&s.byExp, e.index)
	delete(s.entries, e.id)
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

// expiryHeap orders entries by expiry, soonest first.
type expiryHeap []*memEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires < h[j].expires }
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *expiryHeap) Push(x any) {
	e := x.(*memEntry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
