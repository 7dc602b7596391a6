package conformance_test

import (
	"context"
	"strings"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// withGens is a faultyStore that also keeps a generation per user
// (vishnu.UserGenerations), correct unless its bug is one of the
// generations'.
type withGens struct{ *faultyStore }

var _ vishnu.UserGenerations = withGens{}

func (s withGens) genCheck(ctx context.Context) error {
	if err := ctx.Err(); err != nil && s.bug != genIgnoresContext {
		return err
	}
	if s.down {
		return errBackendDown
	}
	return nil
}

func (s withGens) genKey(user string) string {
	if s.bug == genFoldsCase {
		return strings.ToLower(user)
	}
	return user
}

func (s withGens) UserGeneration(ctx context.Context, user string) (uint64, error) {
	if err := s.genCheck(ctx); err != nil {
		return 0, err
	}
	if s.bug == genPerInstanceCache {
		s.cacheMu.Lock()
		g, ok := s.genCache[user]
		s.cacheMu.Unlock()
		if ok {
			return g, nil
		}
	}
	s.b.mu.Lock()
	g, ok := s.b.generations[s.genKey(user)]
	s.b.mu.Unlock()
	if !ok && s.bug == genMadeUp {
		return 1, nil
	}
	if s.bug == genPerInstanceCache {
		s.cacheMu.Lock()
		s.genCache[user] = g
		s.cacheMu.Unlock()
	}
	return g, nil
}

func (s withGens) BumpUserGeneration(ctx context.Context, user string) (uint64, error) {
	if err := s.genCheck(ctx); err != nil {
		return 0, err
	}
	key := s.genKey(user)
	if s.bug == genLostBumps {
		s.b.mu.Lock()
		g := s.b.generations[key]
		s.b.mu.Unlock()
		window()
		s.b.mu.Lock()
		defer s.b.mu.Unlock()
		s.b.generations[key] = g + 1
		return g + 1, nil
	}
	s.b.mu.Lock()
	g := s.b.generations[key]
	if s.bug != genNotAdvanced || g == 0 {
		g++
	}
	s.b.generations[key] = g
	s.b.mu.Unlock()
	if s.bug == genPerInstanceCache {
		s.cacheMu.Lock()
		s.genCache[user] = g
		s.cacheMu.Unlock()
	}
	return g, nil
}
