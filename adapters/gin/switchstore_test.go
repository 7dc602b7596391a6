package vishnugin_test

import (
	"context"
	"sync/atomic"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// switchStore is a memory store that a test can take down: while down is
// set, every call fails as a store whose backend went away does.
type switchStore struct {
	vishnu.Store
	down atomic.Bool
}

func (s *switchStore) Load(ctx context.Context, id string) ([]byte, error) {
	if s.down.Load() {
		return nil, errDown
	}
	return s.Store.Load(ctx, id)
}

func (s *switchStore) Save(ctx context.Context, id string, data []byte, expires time.Time) error {
	if s.down.Load() {
		return errDown
	}
	return s.Store.Save(ctx, id, data, expires)
}

func (s *switchStore) Delete(ctx context.Context, id string) error {
	if s.down.Load() {
		return errDown
	}
	return s.Store.Delete(ctx, id)
}
