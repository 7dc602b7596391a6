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
// password change can end every other session. Stores without an index end
// them by a per-user generation or stamp (usergeneration.go).

// ErrNoUserIndex is returned by Manager.UserSessions when the store keeps
// no index of sessions per user (see UserIndex): memcached and the cookie
// store, which can end a user's sessions but not list them.
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
func userField(k string) bool {
	return k == fieldUser || k == fieldLogin || k == fieldGeneration || k == fieldStamp
}

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
	// Created is when the session was created (before Login, for a
	// session that was used before it logged in).
	Created time.Time
	// LastActive is when the session was last used, to within a tenth of
	// its timeout: it is recorded when its expiry is pushed back, which
	// writes to the store anyway, and never costs a write of its own.
	LastActive time.Time
	// IP and UserAgent are the client's at Login (see Config.ClientIP and
	// ClientReporter), at most MaxClientIPLen and MaxUserAgentLen bytes.
	IP        string
	UserAgent string
	// Current is set for the session of the request passed to UserSessions.
	Current bool
}

// Login binds the session to user at login: it regenerates the session
// (a new token, as login needs; see Regenerate), records user in it, and
// adds it to the user's index with label, what the application shows in a
// list of the user's sessions ("Firefox on Linux"), with the client's IP
// and User-Agent (see UserSession). It saves the session.
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
// Without an index, the login records the user's generation or stamp
// before its record is written: a login that read it before the end is
// ended by it, one that read it after is a login that came after the end.
//
// With Config.MaxSessionsPerUser, Login then ends the user's sessions that
// logged in first, beyond the cap; an error doing so is returned, the
// login itself having succeeded.
//
// Login needs a way to end the user's sessions: a store with a UserIndex
// or UserGenerations, or Config.UserStamp. Without one it returns
// ErrCannotEndUserSessions and changes nothing.
func (s *Session) Login(user, label string) error {
	if s == nil {
		return ErrNoSession
	}
	m := s.m
	if !m.canEndUsers() {
		return ErrCannotEndUserSessions
	}
	if user == "" {
		return errors.New("vishnu: Login needs a user")
	}
	marks, err := m.loginMarks(s.ctx, user)
	if err != nil {
		return err
	}
	ip, ua := s.clientOf()
	info := EncodeRecord(map[string][]byte{
		"label": []byte(label),
		"at":    binary.AppendVarint(nil, m.cfg.Clock().Unix()),
		"ip":    []byte(ip),
		"ua":    []byte(ua),
	})
	err = s.withChangeable(func() error {
		prev := s.userLocked()
		other := prev != "" && prev != user
		if err := s.regenerateLocked(&binding{user: user, info: info, marks: marks}, other); err != nil {
			return err
		}
		if other {
			m.cfg.Logger.InfoContext(s.ctx, "vishnu: session of another user replaced by an empty one at login", "was", prev)
		}
		return nil
	})
	if err != nil || m.cfg.MaxSessionsPerUser == 0 {
		return err
	}
	return m.capSessions(s.ctx, user, s)
}

// capSessions ends user's sessions that logged in first, but for current,
// until MaxSessionsPerUser remain.
func (m *Manager) capSessions(ctx context.Context, user string, current *Session) error {
	list, err := m.UserSessions(ctx, user, current)
	if err != nil {
		return fmt.Errorf("vishnu: login: cap the user's sessions: %w", err)
	}
	var errs []error
	for over := len(list) - m.cfg.MaxSessionsPerUser; over > 0 && len(list) > 0; list = list[1:] {
		if !list[0].Current {
			errs = append(errs, m.endListed(ctx, m.index, user, list[0].ID))
			over--
		}
	}
	return errors.Join(errs...)
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
// to user (not cleared, nor logged in as another user since, nor ended by
// a change of Config.UserStamp), and is within the idle and absolute
// timeouts in force now (a timeout lowered since the session was last
// used applies at once). Entries of sessions that are not are dropped from
// the index as they are found, so none is ever listed. current, when not
// nil, is the session of the request, marked Current in the list. Listing
// needs a store with a UserIndex: it returns ErrNoUserIndex otherwise.
func (m *Manager) UserSessions(ctx context.Context, user string, current *Session) ([]UserSession, error) {
	idx := m.index
	if idx == nil {
		return nil, ErrNoUserIndex
	}
	entries, err := idx.UserSessions(ctx, user)
	if err != nil {
		return nil, fmt.Errorf("vishnu: list sessions: %w", err)
	}
	cur := current.storeID()
	var out []UserSession
	for id, info := range entries {
		fields, live, err := m.boundTo(ctx, id, user)
		if err != nil {
			return nil, fmt.Errorf("vishnu: list sessions: %w", err)
		}
		if !live {
			_ = idx.RemoveUserSession(ctx, user, id) // best effort: it is checked again next time
			continue
		}
		out = append(out, userSession(id, id == cur, info, fields))
	}
	slices.SortFunc(out, func(a, b UserSession) int {
		if c := a.LoggedIn.Compare(b.LoggedIn); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// userSession makes the UserSession of a live session from its index
// entry's info and its record's fields.
func userSession(id string, current bool, info []byte, fields map[string][]byte) UserSession {
	us := UserSession{ID: id, Current: current, Created: createdAt(fields)}
	if f, err := DecodeRecord(info); err == nil {
		us.Label, us.IP, us.UserAgent = string(f["label"]), string(f["ip"]), string(f["ua"])
		if n, size := binary.Varint(f["at"]); size > 0 {
			us.LoggedIn = time.Unix(n, 0)
		}
	}
	us.LastActive = us.LoggedIn
	if n, size := binary.Varint(fields[fieldRefreshed]); size > 0 {
		us.LastActive = time.Unix(n, 0)
	}
	return us
}

// boundTo returns the fields of the record id, and whether it exists, is
// within the timeouts in force, and is bound to user (and not ended by the
// user's generation or stamp).
func (m *Manager) boundTo(ctx context.Context, id, user string) (map[string][]byte, bool, error) {
	rec, err := m.cfg.Store.Load(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	fields, err := DecodeRecord(rec)
	if err != nil {
		return nil, false, nil
	}
	now := m.cfg.Clock()
	refreshed := now // a record that does not say is not idle
	if n, size := binary.Varint(fields[fieldRefreshed]); size > 0 {
		refreshed = time.Unix(n, 0)
	}
	if m.expiredNow(fields, refreshed, now) || string(fields[fieldUser]) != user {
		return fields, false, nil
	}
	ended, err := m.endedByUser(ctx, fields)
	return fields, !ended, err
}

// EndUserSession ends one of user's sessions, named by its UserSession.ID,
// as Destroy would: its record is deleted, and a request in flight with it
// cannot bring it back. Its next request is told (Session.EndedElsewhere).
// An id that is not one of user's sessions is left alone (nil error), so
// one user cannot end another's. It works on every store that keeps
// sessions on the server, with or without an index; the cookie store
// names no session by an id, and returns ErrCannotEndUserSessions (use
// EndUserSessions there).
func (m *Manager) EndUserSession(ctx context.Context, user, id string) error {
	if m.inCookie {
		return ErrCannotEndUserSessions
	}
	if m.index == nil {
		if _, err := m.endOne(ctx, user, id); err != nil {
			return fmt.Errorf("vishnu: end session: %w", err)
		}
		return nil
	}
	entries, err := m.index.UserSessions(ctx, user)
	if err != nil {
		return fmt.Errorf("vishnu: end session: %w", err)
	}
	if _, listed := entries[id]; !listed {
		return nil
	}
	return m.endListed(ctx, m.index, user, id)
}

// EndUserSessions ends every session of user, but for except (the
// request's own session, after a password change) when it is not nil.
// Each is ended on every store, in the way the store allows:
//   - with a UserIndex (memory, Redis, Datastore, PostgreSQL), every
//     listed session is deleted now; a login of the same user that runs
//     concurrently is either ended too or listed afterwards (see Login);
//   - with UserGenerations (memcached), the user's generation is bumped,
//     and each session is ended on its next request, or by its expiry;
//   - with Config.UserStamp (required by the cookie store), the
//     application changes the stamp first (a password change does), and
//     each session is ended on its next request.
//
// except stays: it is moved to the new generation or stamp and saved (as
// Save would, with its other changes). Every ended session's next request
// is told (Session.EndedElsewhere). Without any of the three it returns
// ErrCannotEndUserSessions.
func (m *Manager) EndUserSessions(ctx context.Context, user string, except *Session) error {
	if !m.canEndUsers() {
		return ErrCannotEndUserSessions
	}
	if m.cfg.UserStamp != nil {
		if err := m.restamp(ctx, user, except); err != nil {
			return err
		}
	}
	if m.generations != nil {
		return m.endByGeneration(ctx, user, except)
	}
	if m.index == nil {
		return nil
	}
	entries, err := m.index.UserSessions(ctx, user)
	if err != nil {
		return fmt.Errorf("vishnu: end sessions: %w", err)
	}
	keep := except.storeID()
	var errs []error
	for id := range entries {
		if id != keep {
			errs = append(errs, m.endListed(ctx, m.index, user, id))
		}
	}
	return errors.Join(errs...)
}

// endListed ends a listed session (endOne), then drops its entry. The
// record goes first: an entry without a record is harmless, a record
// without an entry would be a session nobody can end.
func (m *Manager) endListed(ctx context.Context, idx UserIndex, user, id string) error {
	if _, err := m.endOne(ctx, user, id); err != nil {
		return fmt.Errorf("vishnu: end session: %w", err)
	}
	if err := idx.RemoveUserSession(ctx, user, id); err != nil {
		return fmt.Errorf("vishnu: end session: unlist: %w", err)
	}
	return nil
}

// ID returns the id of the session's record in the store, as
// UserSession.ID names it: what EndUserSession takes. On a store without a
// UserIndex (memcached), an application that wants to end one session of
// a user from another keeps these ids itself. It is "" for a session not
// saved yet, and always with the cookie store.
func (s *Session) ID() string { return s.storeID() }

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
