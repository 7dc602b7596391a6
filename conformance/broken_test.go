package conformance_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// faultyStore is a map store with expiry and every optional capability,
// correct unless it is given a bug: the broken stores that prove the store
// suite catches what it claims to.
type faultyStore struct {
	bug   bug
	limit int  // MaxRecordSize, for the truncates bug
	down  bool // the backend is unreachable: every call fails

	mu      sync.Mutex
	records map[string]faultyRecord
}

type faultyRecord struct {
	data    []byte
	expires time.Time
}

type bug int

const (
	noBug             bug = iota
	ignoresExpiry         // Load returns records past their expiry
	errorsAsNotFound      // every failure is reported as vishnu.ErrNotFound
	ignoresContext        // calls succeed whatever their context
	losesCommits          // Commit is load-change-save without a lock
	resurrects            // Commit creates a missing record even with Create false
	crosstalk             // records are keyed by the first 16 characters of the id
	hangs                 // Delete of a missing record keeps the lock
	aliases               // Save keeps the caller's slice
	truncates             // Save cuts records at the limit instead of refusing them
	touchCreates          // Touch of a missing record creates an empty one
	cleanupNoLimit        // Cleanup ignores its limit
	cleanupNoDormant      // Cleanup ignores dormantFor
	cleanupAlwaysDone     // Cleanup always reports finished
)

var errBackendDown = errors.New("faulty: connection refused")

func newFaulty(b bug) *faultyStore {
	return &faultyStore{bug: b, records: make(map[string]faultyRecord)}
}

var (
	_ vishnu.Committer = (*faultyStore)(nil)
	_ vishnu.Toucher   = (*faultyStore)(nil)
	_ vishnu.Cleaner   = (*faultyStore)(nil)
)

// check is the start of every call: the context and the backend.
func (s *faultyStore) check(ctx context.Context) error {
	err := ctx.Err()
	if s.bug == ignoresContext {
		err = nil
	}
	if err == nil && s.down {
		err = errBackendDown
	}
	if err != nil && s.bug == errorsAsNotFound {
		return vishnu.ErrNotFound
	}
	return err
}

func (s *faultyStore) key(id string) string {
	if s.bug == crosstalk && len(id) > 16 {
		return id[:16]
	}
	return id
}

// liveLocked returns the record under id, if it is there and not expired.
func (s *faultyStore) liveLocked(id string) ([]byte, bool) {
	r, ok := s.records[s.key(id)]
	if !ok || (s.bug != ignoresExpiry && !time.Now().Before(r.expires)) {
		return nil, false
	}
	return r.data, true
}

func (s *faultyStore) Load(ctx context.Context, id string) ([]byte, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	data, ok := s.liveLocked(id)
	if !ok {
		return nil, vishnu.ErrNotFound
	}
	return append([]byte(nil), data...), nil
}

func (s *faultyStore) Save(ctx context.Context, id string, data []byte, expires time.Time) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	switch {
	case s.bug == truncates && len(data) > s.limit:
		data = append([]byte(nil), data[:s.limit]...)
	case s.bug != aliases:
		data = append([]byte(nil), data...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records[s.key(id)] = faultyRecord{data, expires}
	return nil
}

func (s *faultyStore) Delete(ctx context.Context, id string) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	if _, ok := s.records[s.key(id)]; !ok {
		if s.bug == hangs {
			return nil // the lock is never released: every later call blocks
		}
		s.mu.Unlock()
		return nil
	}
	delete(s.records, s.key(id))
	s.mu.Unlock()
	return nil
}

func (s *faultyStore) Commit(ctx context.Context, id string, c *vishnu.Change) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if s.bug == resurrects {
		c2 := *c
		c2.Create = true
		c = &c2
	}
	s.mu.Lock()
	cur, _ := s.liveLocked(id)
	if s.bug == losesCommits {
		// The window of a load-change-save without a transaction.
		s.mu.Unlock()
		runtime.Gosched()
		time.Sleep(100 * time.Microsecond)
		s.mu.Lock()
	}
	defer s.mu.Unlock()
	rec, err := c.Apply(cur)
	if err != nil {
		return err
	}
	s.records[s.key(id)] = faultyRecord{rec, c.Expires}
	return nil
}

func (s *faultyStore) Touch(ctx context.Context, id string, expires time.Time) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	data, ok := s.liveLocked(id)
	if !ok {
		if s.bug != touchCreates {
			return vishnu.ErrNotFound
		}
		data = []byte{}
	}
	s.records[s.key(id)] = faultyRecord{data, expires}
	return nil
}

func (s *faultyStore) Cleanup(ctx context.Context, dormantFor time.Duration, limit int) (bool, error) {
	if err := s.check(ctx); err != nil {
		return false, err
	}
	if s.bug == cleanupNoDormant {
		dormantFor = 0
	}
	if s.bug == cleanupNoLimit {
		limit = len(s.records) + 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cutoff := time.Now().Add(-dormantFor)
	removed := 0
	for id, r := range s.records {
		if r.expires.After(cutoff) {
			continue
		}
		if removed == limit {
			return s.bug == cleanupAlwaysDone, nil
		}
		delete(s.records, id)
		removed++
	}
	return true, nil
}
