package datastorestore

import (
	"context"
	"fmt"
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
// Datastore mode. Entries
// found expired are left out, and deleted by one transaction more, which
// reads them again and keeps any added anew since the query (an error
// there is not the caller's: Cleanup deletes them later).
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
	out := make(map[string][]byte, len(keys))
	var expired []*datastore.Key
	for i, k := range keys {
		if !entries[i].live(now) {
			expired = append(expired, k)
			continue
		}
		info := entries[i].Data
		if info == nil {
			info = []byte{}
		}
		out[k.Name] = info
	}
	if len(expired) > 0 {
		// Best effort, and only those still expired: an entry added
		// again since the query stays. Cleanup removes the rest.
		_ = s.deleteStillDormant(ctx, expired[:min(len(expired), txBatch)], now)
	}
	return out, nil
}
