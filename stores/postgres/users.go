package pgstore

import (
	"context"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// The index of sessions per user (vishnu.UserIndex) is a table of one row
// per entry, keyed by user and session id (see schema.sql): each call is
// one statement on that key, so concurrent calls for one user never lose
// each other's entries, and listing a user reads their rows through the
// primary key's index.

var _ vishnu.UserIndex = (*Store)(nil)

// AddUserSession implements vishnu.UserIndex with one upsert. An expiry
// already past removes the entry instead. user must be valid text in the
// database's encoding, without NUL bytes.
func (s *Store) AddUserSession(ctx context.Context, user, id string, info []byte, expires time.Time) error {
	if !expires.After(time.Now()) {
		return s.RemoveUserSession(ctx, user, id)
	}
	if _, err := s.pool.Exec(ctx, s.sql.addUser, user, id, nonNil(info), storedExpiry(expires)); err != nil {
		return fail("add user session", err)
	}
	return nil
}

// RemoveUserSession implements vishnu.UserIndex with one DELETE. Removing
// an absent entry is not an error.
func (s *Store) RemoveUserSession(ctx context.Context, user, id string) error {
	if _, err := s.pool.Exec(ctx, s.sql.removeUser, user, id); err != nil {
		return fail("remove user session", err)
	}
	return nil
}

// UserSessions implements vishnu.UserIndex with one statement, which
// returns the user's live entries and deletes the dead ones: those past
// their expiry, and those of sessions that timed out (their row is there,
// expired). Entries of sessions deleted (a logout, a session ended) are
// Vishnu's to drop: it checks each listed entry against its session (see
// vishnu.Manager.UserSessions).
func (s *Store) UserSessions(ctx context.Context, user string) (map[string][]byte, error) {
	rows, err := s.pool.Query(ctx, s.sql.listUser, user, time.Now())
	if err != nil {
		return nil, fail("user sessions", err)
	}
	defer rows.Close()
	out := make(map[string][]byte)
	for rows.Next() {
		var id string
		var info []byte
		if err := rows.Scan(&id, &info); err != nil {
			return nil, fail("user sessions", err)
		}
		out[id] = nonNil(info)
	}
	if err := rows.Err(); err != nil {
		return nil, fail("user sessions", err)
	}
	return out, nil
}
