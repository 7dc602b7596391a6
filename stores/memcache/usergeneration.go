package memcachestore

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/bradfitz/gomemcache/memcache"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// Generations per user ---
//
// memcached cannot list a user's sessions, so Store ends them by a
// per-user generation ([vishnu.UserGenerations]): one item per user, a
// decimal counter that memcached's incr advances atomically, without
// expiry. A session records the generation at login, and Vishnu ends one
// whose generation is older than the user's.
//
// memcached may evict the counter, as any item. A forgotten generation
// reads as 0, which ends every session of the user (never one brought
// back), and the next bump restarts it from the clock in nanoseconds, above
// any value counted from an earlier start.

var _ vishnu.UserGenerations = (*Store)(nil)

// generationKey returns the key of user's generation. The NUL byte makes
// it a hashed key (see key.go) that no session id can have: ids never hold
// one.
func (s *Store) generationKey(user string) string {
	return s.key("\x00user-generation\x00" + user)
}

// UserGeneration implements [vishnu.UserGenerations]: one get.
func (s *Store) UserGeneration(ctx context.Context, user string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("memcachestore: read a user's generation: %w", err)
	}
	it, err := s.client.Get(s.generationKey(user))
	if errors.Is(err, memcache.ErrCacheMiss) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("memcachestore: read a user's generation: %w", err)
	}
	g, err := strconv.ParseUint(string(it.Value), 10, 64)
	if err != nil {
		// Not written by Store (incr keeps decimal digits): taken as
		// forgotten, which ends the user's sessions rather than keeps them.
		return 0, nil
	}
	return g, nil
}

// BumpUserGeneration implements [vishnu.UserGenerations]: an incr, or,
// when the user has no generation, an add of one from the clock (and an
// incr again if another bump added it first).
func (s *Store) BumpUserGeneration(ctx context.Context, user string) (uint64, error) {
	key := s.generationKey(user)
	for range 3 {
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("memcachestore: bump a user's generation: %w", err)
		}
		g, err := s.client.Increment(key, 1)
		if err == nil {
			return g, nil
		}
		if !errors.Is(err, memcache.ErrCacheMiss) {
			return 0, fmt.Errorf("memcachestore: bump a user's generation: %w", err)
		}
		g = uint64(s.now().UnixNano())
		err = s.client.Add(&memcache.Item{Key: key, Value: strconv.AppendUint(nil, g, 10)})
		if err == nil {
			return g, nil
		}
		if !errors.Is(err, memcache.ErrNotStored) {
			return 0, fmt.Errorf("memcachestore: bump a user's generation: %w", err)
		}
	}
	return 0, fmt.Errorf("memcachestore: bump a user's generation: %w", ErrTooMuchContention)
}
