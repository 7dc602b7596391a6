package vishnu

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// MemoryStoreMaxInfo is the most bytes of info the memory store keeps for
// one entry of its index of sessions per user (UserIndex.AddUserSession):
// what Session.Login makes of a label of up to about 4,000 bytes. Longer
// info is refused with ErrInfoTooLarge rather than cut, since info is
// opaque and a cut one would not decode; with the number of entries bounded
// by MemoryStoreOptions.MaxEntries, this bounds the index's memory.
const MemoryStoreMaxInfo = 4 << 10

// ErrInfoTooLarge is returned by the memory store's AddUserSession for info
// over MemoryStoreMaxInfo bytes.
var ErrInfoTooLarge = errors.New("vishnu: memory store: index entry info too large")

// memUsers is the memory store's index of sessions per user. An entry is
// tied to its session's id: it goes when the record under that id goes
// (deleted, expired, evicted), since a session without a record has ended,
// and it goes at its own expiry too. The entries number at most the store's
// MaxEntries: when full, the entry closest to expiry makes room, as for
// records. As each live record is listed for at most one user in practice
// (a login binds a new id), a full index means entries of ended sessions
// to drop, not live ones.
type memUsers struct {
	byUser map[string]map[string]int32 // user, then id: the entry's slot
	byID   map[memKey]int32            // the first entry of an id; the others follow by next
	ents   []memEntry
	free   []int32    // entry slots not in use
	byExp  expiryHeap // the entry slots in use
}

type memEntry struct {
	user, id string
	info     []byte
	next     int32 // the next entry of the same id, or -1
}

func (u *memUsers) init() {
	u.byUser = make(map[string]map[string]int32)
	u.byID = make(map[memKey]int32)
}

// AddUserSession implements UserIndex. It returns ErrInfoTooLarge for info
// over MemoryStoreMaxInfo bytes.
func (s *MemoryStore) AddUserSession(ctx context.Context, user, id string, info []byte, expires time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(info) > MemoryStoreMaxInfo {
		return fmt.Errorf("%w: %d bytes, over %d", ErrInfoTooLarge, len(info), MemoryStoreMaxInfo)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked()
	u := &s.users
	e, listed := u.byUser[user][id]
	exp := unixNano(expires)
	switch {
	case exp <= unixNano(s.now()):
		if listed {
			s.removeEntryLocked(e)
		}
		return nil
	case listed:
		// A new slice: one that UserSessions returned stays as it was.
		u.ents[e].info = append([]byte{}, info...)
		u.byExp.set(e, exp)
		return nil
	}
	if u.byExp.len() >= s.max {
		first, _, _ := u.byExp.min()
		s.removeEntryLocked(first)
	}
	if n := len(u.free); n > 0 {
		e, u.free = u.free[n-1], u.free[:n-1]
	} else {
		e = int32(len(u.ents))
		u.ents = append(u.ents, memEntry{})
	}
	k := keyOf(id)
	next, ok := u.byID[k]
	if !ok {
		next = -1
	}
	u.ents[e] = memEntry{user: user, id: id, info: append([]byte{}, info...), next: next}
	u.byID[k] = e
	ids := u.byUser[user]
	if ids == nil {
		ids = make(map[string]int32)
		u.byUser[user] = ids
	}
	ids[id] = e
	u.byExp.push(e, exp)
	return nil
}

// RemoveUserSession implements UserIndex.
func (s *MemoryStore) RemoveUserSession(ctx context.Context, user, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.users.byUser[user][id]; ok {
		s.removeEntryLocked(e)
	}
	return nil
}

// UserSessions implements UserIndex.
func (s *MemoryStore) UserSessions(ctx context.Context, user string) (map[string][]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked()
	ids := s.users.byUser[user]
	out := make(map[string][]byte, len(ids))
	for id, e := range ids {
		out[id] = s.users.ents[e].info // never modified: AddUserSession replaces it
	}
	return out, nil
}

// sweepEntriesLocked drops the index entries expired at now.
func (s *MemoryStore) sweepEntriesLocked(now int64) {
	h := &s.users.byExp
	for e, exp, ok := h.min(); ok && exp <= now; e, exp, ok = h.min() {
		s.removeEntryLocked(e)
	}
}

// dropEntriesOfLocked drops the index entries of the id whose key is k.
func (s *MemoryStore) dropEntriesOfLocked(k memKey) {
	u := &s.users
	if len(u.byID) == 0 {
		return // no entries at all: the common case of a store without logins
	}
	for e, ok := u.byID[k]; ok; e, ok = u.byID[k] {
		s.removeEntryLocked(e)
	}
}

// removeEntryLocked drops the entry in slot e.
func (s *MemoryStore) removeEntryLocked(e int32) {
	u := &s.users
	ent := &u.ents[e]
	u.byExp.remove(e)
	if ids := u.byUser[ent.user]; len(ids) <= 1 {
		delete(u.byUser, ent.user)
	} else {
		delete(ids, ent.id)
	}
	// Unlink it from its id's chain.
	k := keyOf(ent.id)
	if first := u.byID[k]; first == e {
		if ent.next < 0 {
			delete(u.byID, k)
		} else {
			u.byID[k] = ent.next
		}
	} else {
		prev := first
		for u.ents[prev].next != e {
			prev = u.ents[prev].next
		}
		u.ents[prev].next = ent.next
	}
	*ent = memEntry{} // let the strings and info go
	u.free = append(u.free, e)
}
