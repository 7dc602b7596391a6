package conformance_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// withUsers is a faultyStore that also keeps an index of sessions per user
// (vishnu.UserIndex), correct unless its bug is one of the index's. The
// other broken stores do not show it, so their bugs reach no index case.
type withUsers struct{ *faultyStore }

var _ vishnu.UserIndex = withUsers{}

// indexCheck is the start of every index call: the context and the backend.
func (s withUsers) indexCheck(ctx context.Context) error {
	err := ctx.Err()
	if s.bug == indexIgnoresContext {
		err = nil
	}
	if err == nil && s.down {
		err = errBackendDown
	}
	return err
}

func (s withUsers) userKey(user string) string {
	switch s.bug {
	case indexFoldsCase:
		return strings.ToLower(user)
	case indexNFKC:
		return foldWidth(user)
	case indexAccentInsensitive:
		return strings.Map(func(r rune) rune {
			switch r {
			case '\u00e1':
				return 'a'
			case '\u00e9':
				return 'e'
			case '\u0301': // a combining acute accent
				return -1
			}
			return r
		}, user)
	}
	return user
}

// forget drops the instance's cached list of user, after its own write.
func (s withUsers) forget(user string) {
	if s.bug != indexPerInstanceCache {
		return
	}
	s.cacheMu.Lock()
	delete(s.userCache, s.userKey(user))
	s.cacheMu.Unlock()
}

func (s withUsers) AddUserSession(ctx context.Context, user, id string, info []byte, expires time.Time) error {
	if err := s.indexCheck(ctx); err != nil {
		return err
	}
	defer s.forget(user)
	switch s.bug {
	case indexTextInfo:
		info = []byte(strings.ToValidUTF8(string(info), "\uFFFD"))
	case indexKeepsCallerSlice:
	default:
		info = append([]byte{}, info...)
	}
	if s.bug == indexSharedIDSlot {
		k := id // never written again, so another call may read it
		s.idSlot.Store(&k)
		window()
		id = *s.idSlot.Load()
	}
	now := time.Now()
	switch d := expires.Sub(now); {
	case s.bug == indexSubResolutionForever && d > 0 && d < 50*time.Millisecond:
		expires = now.AddDate(100, 0, 0)
	case s.bug == indexOver30DaysIsADate && d > 30*24*time.Hour:
		expires = time.Unix(int64(d/time.Second), 0)
	}
	past := !expires.After(now)
	if past && s.bug == indexPastAddSkipped {
		return nil
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	u := s.userKey(user)
	entries := s.b.users[u]
	if entries == nil {
		entries = make(map[string]faultyEntry)
		s.b.users[u] = entries
	}
	if past {
		delete(entries, id)
		return nil
	}
	if s.bug == indexLosesAdds {
		// The window of a read-change-write of the user's whole list.
		cp := maps.Clone(entries)
		s.b.mu.Unlock()
		window()
		s.b.mu.Lock()
		cp[id] = faultyEntry{info, expires}
		s.b.users[u] = cp
		return nil
	}
	if old, ok := entries[id]; ok && now.Before(old.expires) {
		switch s.bug {
		case indexAddKeepsFirst:
			return nil
		case indexAddKeepsExpiry:
			expires = old.expires
		}
	}
	entries[id] = faultyEntry{info, expires}
	for s.bug == indexKeepsLatest1000 && len(entries) > 1000 {
		first := id
		for k, e := range entries {
			if e.expires.Before(entries[first].expires) {
				first = k
			}
		}
		delete(entries, first)
	}
	return nil
}

func (s withUsers) RemoveUserSession(ctx context.Context, user, id string) error {
	if err := s.indexCheck(ctx); err != nil {
		return err
	}
	if s.bug == indexKeepsRemoved {
		return nil
	}
	defer s.forget(user)
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	u := s.userKey(user)
	entries := s.b.users[u]
	if e, ok := entries[id]; (!ok || !time.Now().Before(e.expires)) && s.bug == indexRemoveAbsentFails {
		return fmt.Errorf("faulty: user %q has no entry %s", user, id)
	}
	if s.bug == indexRemoveLike {
		for k := range entries {
			if likeMatch(id, k) {
				delete(entries, k)
			}
		}
	}
	if s.bug == indexRemoveRewrites {
		cp := maps.Clone(entries)
		s.b.mu.Unlock()
		window()
		s.b.mu.Lock()
		delete(cp, id)
		s.b.users[u] = cp
		return nil
	}
	delete(entries, id)
	return nil
}

func (s withUsers) UserSessions(ctx context.Context, user string) (map[string][]byte, error) {
	if s.bug == indexIgnoresContext && ctx.Err() != nil {
		return map[string][]byte{}, nil // the query was cut short: no rows
	}
	if err := s.indexCheck(ctx); err != nil {
		return nil, err
	}
	u := s.userKey(user)
	now := time.Now()
	// An entry is live until its expiry, and while its session's record
	// is (s.b.mu held).
	recorded := func(id string) bool {
		if s.bug == indexKeepsDeadEntries {
			return true
		}
		_, ok := s.liveLocked(id)
		return ok
	}
	live := func(id string, e faultyEntry) bool {
		return (s.bug == indexIgnoresExpiry || now.Before(e.expires)) && recorded(id)
	}
	if s.bug == indexPerInstanceCache {
		s.cacheMu.Lock()
		defer s.cacheMu.Unlock()
		if cached, ok := s.userCache[u]; ok {
			s.b.mu.Lock()
			defer s.b.mu.Unlock()
			out := map[string][]byte{}
			for id, e := range cached {
				if live(id, e) {
					out[id] = e.info
				}
			}
			return out, nil
		}
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if s.bug != indexHidesDeadEntries {
		// The entries of sessions without a live record go as they are
		// found.
		for id := range s.b.users[u] {
			if !recorded(id) {
				delete(s.b.users[u], id)
			}
		}
	}
	out := map[string][]byte{}
	switch s.bug {
	case indexPrefixScan:
		for owner, entries := range s.b.users {
			for id, e := range entries {
				if rest, ok := strings.CutPrefix(owner+":"+id, u+":"); ok && live(id, e) {
					out[rest] = e.info
				}
			}
		}
	case indexLike:
		for owner, entries := range s.b.users {
			for id, e := range entries {
				if likeMatch(u, owner) && live(id, e) {
					out[id] = e.info
				}
			}
		}
	case indexListingMap:
		// One map per user, cleared and filled again by each listing.
		out = s.b.listings[u]
		if out == nil {
			out = map[string][]byte{}
			s.b.listings[u] = out
		}
		clear(out)
		for id, e := range s.b.users[u] {
			if live(id, e) {
				out[id] = e.info
			}
		}
	case indexListingBuffer:
		// One 64 KiB buffer, reused by every listing.
		if s.infoBuf == nil {
			s.infoBuf = make([]byte, 0, 64<<10)
		}
		buf := s.infoBuf[:0]
		for id, e := range s.b.users[u] {
			if live(id, e) {
				start := len(buf)
				buf = append(buf, e.info...)
				out[id] = buf[start:len(buf):len(buf)]
			}
		}
		s.infoBuf = buf
	default:
		for id, e := range s.b.users[u] {
			if live(id, e) {
				out[id] = e.info // never modified: adds replace it
			}
		}
	}
	if len(out) == 0 && s.bug == indexNoneIsNotFound {
		return nil, vishnu.ErrNotFound
	}
	if s.bug == indexPerInstanceCache {
		s.userCache[u] = maps.Clone(s.b.users[u])
	}
	return out, nil
}
