package datastorestore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"cloud.google.com/go/datastore"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// The index of sessions per user (vishnu.UserIndex): one entity per entry,
// of kind kind+"UserEntry", named by the session's id, whose parent key is
// of kind kind+"User" named by the user (that parent entity is never
// written: it only groups the user's entries). An entry holds the info,
// unindexed, and its expiry, indexed like a session's, so that Cleanup
// deletes dormant entries too. Listing a user's entries is an ancestor
// query, which the Datastore answers with strong consistency in every mode
// and with its built-in indexes; entries of one user are separate
// entities, so concurrent calls for one user never lose each other's
// entries.

var _ vishnu.UserIndex = (*Store)(nil)

// userKey returns the key that groups user's entries.
func (s *Store) userKey(user string) (*datastore.Key, error) {
	if user == "" || len(user) > 1500 || reserved(user) {
		return nil, fmt.Errorf("datastorestore: user %q cannot name a Datastore key (empty, over 1500 bytes, or __reserved__)", user)
	}
	k := datastore.NameKey(s.kind+"User", user, nil)
	k.Namespace = s.namespace
	return k, nil
}

// entryKey returns the key of user's entry for the session id.
func (s *Store) entryKey(user, id string) (*datastore.Key, error) {
	parent, err := s.userKey(user)
	if err != nil {
		return nil, err
	}
	k := datastore.NameKey(s.entryKind(), id, parent)
	k.Namespace = s.namespace
	return k, nil
}

func (s *Store) entryKind() string { return s.kind + "UserEntry" }

// AddUserSession implements vishnu.UserIndex with one non-transactional
// Commit that writes the entry, replacing one of the same id. An expiry
// already past removes the entry instead.
func (s *Store) AddUserSession(ctx context.Context, user, id string, info []byte, expires time.Time) error {
	if !expires.After(time.Now()) {
		return s.RemoveUserSession(ctx, user, id)
	}
	key, err := s.entryKey(user, id)
	if err != nil {
		return err
	}
	if err := checkSize(len(info)); err != nil {
		return err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if _, err := s.client.Put(ctx, key, &entity{Data: info, Expires: storedExpiry(expires)}); err != nil {
		return fail(ctx, "add user session", err)
	}
	return nil
}

// RemoveUserSession implements vishnu.UserIndex with one non-transactional
// Commit. Removing an absent entry is not an error.
func (s *Store) RemoveUserSession(ctx context.Context, user, id string) error {
	key, err := s.entryKey(user, id)
	if err != nil {
		return err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if err := s.client.Delete(ctx, key); err != nil {
		return fail(ctx, "remove user session", err)
	}
	return nil
}

// UserSessions implements vishnu.UserIndex with one ancestor query. Each
// entry is an entity of kind "SessionUserEntry" (the store's kind followed
// by "UserEntry") named by the session's id, under a parent key of kind
// "SessionUser" named by the user, which groups the user's entries without
// being written itself; an ancestor query is strongly consistent in every
// Datastore mode.
//
// Dead entries are dropped from the index as they are found, every one of
// them, so that the index of a user who logs in often and never logs out
// does not grow for ever:
//   - those past their own expiry, by transactions of 500 that read them
//     again and keep any added anew since the query;
//   - those whose session has no live record (it ended, or expired and
//     waits for Cleanup), found by Lookups of the records, 1,000 keys
//     each, a few at a time, and deleted by Commits of 500: a login
//     writes the record before it lists it, and no id comes back once its
//     record is gone.
//
// An error looking up the records
// fails the listing; one deleting entries does not (the listing is right
// without it, and the next one or Cleanup deletes them).
func (s *Store) UserSessions(ctx context.Context, user string) (map[string][]byte, error) {
	parent, err := s.userKey(user)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var entries []entity
	keys, err := s.client.GetAll(ctx, datastore.NewQuery(s.entryKind()).Namespace(s.namespace).Ancestor(parent), &entries)
	if err != nil {
		return nil, fail(ctx, "user sessions", err)
	}
	now := time.Now()
	var expired, listed []*datastore.Key
	for i, k := range keys {
		if entries[i].live(now) {
			listed = append(listed, k)
		} else {
			expired = append(expired, k)
		}
	}
	recorded, err := s.recorded(ctx, listed, now)
	if err != nil {
		return nil, fail(ctx, "user sessions: look up the records", err)
	}
	out := make(map[string][]byte, len(listed))
	var dead []*datastore.Key
	for i, k := range keys {
		switch {
		case !entries[i].live(now):
		case !recorded[k.Name]:
			dead = append(dead, k)
		default:
			info := entries[i].Data
			if info == nil {
				info = []byte{}
			}
			out[k.Name] = info
		}
	}
	// Best effort: what is left is deleted by the next listing or Cleanup.
	// One after another: the entries are one entity group, whose
	// concurrent writes would contend.
	for _, batch := range chunks(expired, deleteBatch) {
		_ = s.deleteStillDormant(ctx, batch, now)
	}
	for _, batch := range chunks(dead, deleteBatch) {
		_ = s.client.DeleteMulti(ctx, batch)
	}
	return out, nil
}

// lookupBatch is the most keys the Datastore takes in one Lookup.
const lookupBatch = 1000

// recorded returns the ids of the entries of keys whose session has a live
// record at now.
func (s *Store) recorded(ctx context.Context, keys []*datastore.Key, now time.Time) (map[string]bool, error) {
	var mu sync.Mutex
	live := make(map[string]bool, len(keys))
	err := parallel(chunks(keys, lookupBatch), func(batch []*datastore.Key) error {
		records := make([]*datastore.Key, len(batch))
		for i, k := range batch {
			records[i] = s.key(k.Name)
		}
		got := make([]entity, len(records))
		me, err := missingAllowed(s.client.GetMulti(ctx, records, got))
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for i, k := range batch {
			if (me == nil || me[i] == nil) && got[i].live(now) {
				live[k.Name] = true
			}
		}
		return nil
	})
	return live, err
}

// chunks splits keys into slices of at most n.
func chunks(keys []*datastore.Key, n int) [][]*datastore.Key {
	var out [][]*datastore.Key
	for len(keys) > 0 {
		c := keys[:min(len(keys), n)]
		out = append(out, c)
		keys = keys[len(c):]
	}
	return out
}

// parallel runs f on each batch, a few at a time, and returns their
// errors.
func parallel(batches [][]*datastore.Key, f func([]*datastore.Key) error) error {
	const workers = 4
	errs := make([]error, len(batches))
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i, b := range batches {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = f(b)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
