package vishnu

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Sessions per user: a session bound to a user at login (Session.Login) is
// listed in the store's index of that user's sessions (UserIndex), so that
// the user can see their sessions and end any or all of them, and so that a
// password change can end every other session.

// ErrNoUserIndex is returned by the sessions-per-user methods when the
// store keeps no index of sessions per user (see UserIndex).
var ErrNoUserIndex = errors.New("vishnu: the store keeps no index of sessions per user")

// The record fields that bind a session to its user: the user, and the
// info of the session's entry in the user's index (its label and login
// time), which Regenerate lists again under the new token.
const (
	fieldUser  = "\x00user"
	fieldLogin = "\x00login"
	// fieldRefreshed is when a bound session's cookie was last refreshed
	// (Unix seconds), so that listing applies the idle timeout in force
	// now, as loading the session from its cookie does.
	fieldRefreshed = "\x00refreshed"
)

// userField reports whether k is one of the fields that bind a session to
// its user, which Clear drops.
func userField(k string) bool { return k == fieldUser || k == fieldLogin }

// UserSession is one of a user's sessions, as Manager.UserSessions lists it.
type UserSession struct {
	// ID names the session among the user's: pass it to EndUserSession.
	// It is the store's id of the session (a hash of its token), useless to
	// anyone who would take over the session.
	ID string
	// Label is what the application gave Login (a device, a browser).
	Label string
	// LoggedIn is when the session was bound to the user.
	LoggedIn time.Time
	// Current is set for the session of the request passed to UserSessions.
	Current bool
}

// Login binds the session to user at login: it regenerates the session
// (a new token, as login needs; see Regenerate), records user in it, and
// adds it to the user's index with label, what the application shows in a
// list of the user's sessions ("Firefox on Linux"). It saves the session.
// With a store that is no UserIndex it returns ErrNoUserIndex and changes
// nothing.
//
// A session bound to another user starts over empty: nothing of the other
// user's session, nor of this request's changes before Login, is carried
// into the new one (a shared computer must not hand one user's data to the
// next). Logging in again as the same user keeps the session's data.
//
// A Login that fails leaves no binding anywhere: the session keeps its old
// token, unbound as it was, and this request's unsaved changes are dropped
// (as for a failed Regenerate). A login racing EndUserSessions of the same
// user either is ended too or is listed afterwards: the new record is
// written before it is listed, and if it cannot be listed it is deleted.
func (s *Session) Login(user, label string) error {
	if s == nil {
		return ErrNoSession
	}
	if _, ok := s.m.cfg.Store.(UserIndex); !ok || s.m.inCookie {
		return ErrNoUserIndex
	}
	if user == "" {
		return errors.New("vishnu: Login needs a user")
	}
	return s.withChangeable(func() error {
		prev := s.userLocked()
		info := EncodeRecord(map[string][]byte{
			"label": []byte(label),
			"at":    binary.AppendVarint(nil, s.m.cfg.Clock().Unix()),
		})
		other := prev != "" && prev != user
		if err := s.regenerateLocked(&binding{user: user, info: info}, other); err != nil {
			return err
		}
		if other {
			s.m.cfg.Logger.InfoContext(s.ctx, "vishnu: session of another user replaced by an empty one at login", "was", prev)
		}
		return nil
	})
}

// User returns the user the session was bound to by Login, or "".
func (s *Session) User() string {
	if s == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loadLocked() != nil {
		return ""
	}
	return s.userLocked()
}

func (s *Session) userLocked() string { return string(s.fields[fieldUser]) }

// indexExpiry is how long an index entry may outlive a check: as long as
// the session could live (the absolute timeout, or the longest timeout).
func (m *Manager) indexExpiry(fields map[string][]byte, now time.Time) time.Time {
	if m.cfg.AbsoluteTimeout > 0 {
		return createdAt(fields).Add(m.cfg.AbsoluteTimeout)
	}
	return now.Add(MaxTimeout)
}

// UserSessions lists user's active sessions, oldest login first. A session
// is active as loading it would find it: its record exists, is still bound
// to user (not cleared, nor logged in as another user since), and is within
// the idle and absolute timeouts in force now (a timeout lowered since the
// session was last used applies at once). Entries of sessions that are not
// are dropped from the index as they are found, so none is ever listed.
// current, when not nil, is the session of the request, marked Current in
// the list.
func (m *Manager) UserSessions(ctx context.Context, user string, current *Session) ([]UserSession, error) {
	idx, ok := m.cfg.Store.(UserIndex)
	if !ok || m.inCookie {
		return nil, ErrNoUserIndex
	}
	entries, err := idx.UserSessions(ctx, user)
	if err != nil {
		return nil, fmt.Errorf("vishnu: list sessions: %w", err)
	}
	cur := current.storeID()
	var out []UserSession
	for id, info := range entries {
		live, err := m.boundTo(ctx, id, user)
		if err != nil {
			return nil, fmt.Errorf("vishnu: list sessions: %w", err)
		}
		if !live {
			_ = idx.RemoveUserSession(ctx, user, id) // best effort: it is checked again next time
			continue
		}
		us := UserSession{ID: id, Current: id == cur}
		if f, err := DecodeRecord(info); err == nil {
			us.Label = string(f["label"])
			if n, size := binary.Varint(f["at"]); size > 0 {
				us.LoggedIn = time.Unix(n, 0)
			}
		}
		out = append(out, us)
	}
	slices.SortFunc(out, func(a, b UserSession) int {
		if c := a.LoggedIn.Compare(b.LoggedIn); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// boundTo reports whether the record id exists, is within the timeouts in
// force, and is bound to user.
func (m *Manager) boundTo(ctx context.Context, id, user string) (bool, error) {
	rec, err := m.cfg.Store.Load(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	fields, err := DecodeRecord(rec)
	if err != nil {
		return false, nil
	}
	now := m.cfg.Clock()
	refreshed := now // a record that does not say is not idle
	if n, size := binary.Varint(fields[fieldRefreshed]); size > 0 {
		refreshed = time.Unix(n, 0)
	}
	if m.expiredNow(fields, refreshed, now) {
		return false, nil
	}
	return string(fields[fieldUser]) == user, nil
}

// EndUserSession ends one of user's sessions, named by its UserSession.ID,
// as Destroy would: its record is deleted, and a request in flight with it
// cannot bring it back. An id that is not one of user's sessions is left
// alone (nil error), so one user cannot end another's.
func (m *Manager) EndUserSession(ctx context.Context, user, id string) error {
	idx, ok := m.cfg.Store.(UserIndex)
	if !ok || m.inCookie {
		return ErrNoUserIndex
	}
	entries, err := idx.UserSessions(ctx, user)
	if err != nil {
		return fmt.Errorf("vishnu: end session: %w", err)
	}
	if _, listed := entries[id]; !listed {
		return nil
	}
	return m.endListed(ctx, idx, user, id)
}

// EndUserSessions ends every session of user, but for except (the
// request's own session, after a password change) when it is not nil.
// A login of the same user that runs concurrently is either ended too or
// listed afterwards (see Login).
func (m *Manager) EndUserSessions(ctx context.Context, user string, except *Session) error {
	idx, ok := m.cfg.Store.(UserIndex)
	if !ok || m.inCookie {
		return ErrNoUserIndex
	}
	entries, err := idx.UserSessions(ctx, user)
	if err != nil {
		return fmt.Errorf("vishnu: end sessions: %w", err)
	}
	keep := except.storeID()
	var errs []error
	for id := range entries {
		if id != keep {
			errs = append(errs, m.endListed(ctx, idx, user, id))
		}
	}
	return errors.Join(errs...)
}

// endListed deletes a listed session's record, then its entry. The record
// goes first: an entry without a record is harmless, a record without an
// entry would be a session nobody can end.
func (m *Manager) endListed(ctx context.Context, idx UserIndex, user, id string) error {
	if live, err := m.boundTo(ctx, id, user); err != nil || live {
		if err == nil {
			err = m.cfg.Store.Delete(ctx, id)
		}
		if err != nil {
			return fmt.Errorf("vishnu: end session: %w", err)
		}
	}
	if err := idx.RemoveUserSession(ctx, user, id); err != nil {
		return fmt.Errorf("vishnu: end session: unlist: %w", err)
	}
	return nil
}

// storeID returns the store id of a session loaded with a record, or "".
func (s *Session) storeID() string {
	if s == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loadLocked() != nil || !s.record.exists() {
		return ""
	}
	return s.id
}
