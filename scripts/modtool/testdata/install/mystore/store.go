// Package mystore is a custom session store, written by a user against the
// three methods of vishnu.Store.
package mystore

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

// Store keeps records in a map, until they are deleted or cleaned up.
type Store struct {
	mu      sync.Mutex
	records map[string]record
}

// New returns an empty store.
func New() *Store { return &Store{records: map[string]record{}} }

// Load returns the record under id, or vishnu.ErrNotFound.
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
	return r.data, nil
}

// Save replaces the record under id.
func (s *Store) Save(ctx context.Context, id string, data []byte, expires time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records[id] = record{data: append([]byte(nil), data...), expires: expires}
	return nil
}

// Delete removes the record under id.
func (s *Store) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.records, id)
	return nil
}

// Cleanup removes up to limit records that expired at least dormantFor ago,
// and reports whether none such are left: a map, like a database table,
// keeps expired records until something removes them.
func (s *Store) Cleanup(ctx context.Context, dormantFor time.Duration, limit int) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
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
			return false, nil
		}
		delete(s.records, id)
		removed++
	}
	return true, nil
}
