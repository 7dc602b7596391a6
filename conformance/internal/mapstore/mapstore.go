// Package mapstore is a complete Vishnu store over a Go map, with atomic
// commits and cleanup of expired records.
package mapstore

import (
	"context"
	"sync"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

type record struct {
	data    []byte
	expires time.Time
}

// Store keeps records in a map. Expired records stay there, unseen, until
// Cleanup removes them.
type Store struct {
	mu      sync.Mutex
	records map[string]record
}

// New returns an empty Store.
func New() *Store { return &Store{records: make(map[string]record)} }

// Load, Save and Delete make the store a vishnu.Store.
func (s *Store) Load(ctx context.Context, id string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[id]
	if !ok || !time.Now().Before(r.expires) {
		return nil, vishnu.ErrNotFound
	}
	return r.data, nil // never modified: writes replace it
}

func (s *Store) Save(ctx context.Context, id string, data []byte, expires time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records[id] = record{append([]byte(nil), data...), expires}
	return nil
}

func (s *Store) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.records, id)
	return nil
}

// Commit makes the store a vishnu.Committer: under the lock, load, apply
// and save are one step, so concurrent requests lose nothing.
func (s *Store) Commit(ctx context.Context, id string, c *vishnu.Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var cur []byte // nil: no record, or an expired one
	if r, ok := s.records[id]; ok && time.Now().Before(r.expires) {
		cur = r.data
	}
	data, err := c.Apply(cur) // ErrNotFound if cur is nil and !c.Create
	if err != nil {
		return err
	}
	s.records[id] = record{data, c.Expires}
	return nil
}

// Cleanup makes the store a vishnu.Cleaner: it removes at most limit
// records that expired at least dormantFor ago.
func (s *Store) Cleanup(ctx context.Context, dormantFor time.Duration, limit int) (finished bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cutoff := time.Now().Add(-dormantFor)
	for id, r := range s.records {
		if r.expires.After(cutoff) {
			continue
		}
		if limit == 0 {
			return false, nil // more remain
		}
		delete(s.records, id)
		limit--
	}
	return true, nil
}
