package vishnu

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"
)

// Ending a user's sessions without an index. A store that cannot list a
// user's sessions (memcached) keeps a per-user generation instead
// (UserGenerations): a session records the generation at Login, and one
// whose generation is stale is ended on its next request. The cookie store
// keeps nothing on the server, so the application gives a per-user stamp
// (Config.UserStamp, e.g. when the password last changed): a session
// records it at Login and is ended on its next request once it changed.
//
// A session ended by any of these ways, or by EndUserSession(s) on a store
// with an index, says so on its next request (Session.EndedElsewhere).

// UserGenerations is the optional capability of a store that keeps, for
// each user, a generation number: what lets Manager.EndUserSessions end
// every session of a user on a store that keeps no UserIndex. A store that
// has a UserIndex does not need it.
type UserGenerations interface {
	// UserGeneration returns user's current generation, or 0 when the
	// store has none for user (never bumped, or forgotten).
	UserGeneration(ctx context.Context, user string) (uint64, error)

	// BumpUserGeneration advances user's generation atomically and returns
	// the new one, which is greater than every generation returned for
	// user before, even by a store that forgot user's generation meanwhile
	// (memcached may evict it): such a store restarts above any value it
	// could have returned, for instance from the clock.
	BumpUserGeneration(ctx context.Context, user string) (uint64, error)
}

// ErrCannotEndUserSessions is returned by Login, EndUserSessions and
// EndUserSession when the configuration gives no way to end a user's
// sessions: the store has neither a UserIndex nor UserGenerations, and
// Config.UserStamp is not set (the cookie store needs it).
var ErrCannotEndUserSessions = errors.New("vishnu: the store can neither list nor end a user's sessions (it has no UserIndex nor UserGenerations; with the cookie store, set Config.UserStamp)")

// The record fields that let a session bound to a user be ended without
// an index: the user's generation at Login (8 bytes, big-endian), and the
// MAC of the application's stamp at Login (see stampMAC).
const (
	fieldGeneration = "\x00gen"
	fieldStamp      = "\x00stamp"
)

// endedMark is the record a session ended by EndUserSession(s) leaves
// under tombstoneID of its id, until its cookie could have expired anyway:
// what lets its next request tell it was ended elsewhere.
var endedMark = EncodeRecord(map[string][]byte{"\x00ended": {1}})

// tombstoneID derives the id of a session's tombstone from its id. Store
// ids are hashes of tokens, so no token names a tombstone.
func tombstoneID(id string) string {
	sum := sha256.Sum256([]byte("vishnu ended session\x00" + id))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// canEndUsers reports whether m can end a user's sessions.
func (m *Manager) canEndUsers() bool {
	return m.index != nil || m.generations != nil || m.cfg.UserStamp != nil
}

// stampMAC binds the application's stamp to the user and to m's secret, so
// that a cookie that carries it (the cookie store without EncryptKey)
// reveals nothing of the stamp, a hash of the password for instance. It
// runs on every request of a bound session with Config.UserStamp, so its
// keyed hashes are pooled.
func (m *Manager) stampMAC(user string, stamp []byte) []byte {
	h := m.stampHashes.Get().(hash.Hash)
	defer m.stampHashes.Put(h)
	h.Reset()
	io.WriteString(h, "vishnu user stamp\x00")
	io.WriteString(h, user)
	h.Write([]byte{0})
	h.Write(stamp)
	var sum [sha256.Size]byte
	return h.Sum(sum[:0])[:16]
}

// loginMarks returns the fields that Login records in a session of user:
// its generation and its stamp, as far as m uses them.
func (m *Manager) loginMarks(ctx context.Context, user string) (map[string][]byte, error) {
	marks := make(map[string][]byte, 2)
	if m.generations != nil {
		g, err := m.generations.UserGeneration(ctx, user)
		if err == nil && g == 0 {
			g, err = m.generations.BumpUserGeneration(ctx, user)
		}
		if err != nil {
			return nil, fmt.Errorf("vishnu: login: read the user's generation: %w", err)
		}
		marks[fieldGeneration] = binary.BigEndian.AppendUint64(nil, g)
	}
	if m.cfg.UserStamp != nil {
		st, err := m.cfg.UserStamp(ctx, user)
		if err != nil {
			return nil, fmt.Errorf("vishnu: login: Config.UserStamp: %w", err)
		}
		marks[fieldStamp] = m.stampMAC(user, st)
	}
	return marks, nil
}

// endedByUser reports whether the bound session of fields was ended by a
// bump of its user's generation or a change of its user's stamp. An
// unbound session costs nothing; a bound one costs one store read with
// generations, and one call of UserStamp with a stamp. A bound session
// that lacks the mark was bound before the mark was used: it cannot be
// ended by it, so it is ended now.
func (m *Manager) endedByUser(ctx context.Context, fields map[string][]byte) (bool, error) {
	user := string(fields[fieldUser])
	if user == "" {
		return false, nil
	}
	if m.generations != nil {
		rec := fields[fieldGeneration]
		if len(rec) != 8 {
			return true, nil
		}
		cur, err := m.generations.UserGeneration(ctx, user)
		if err != nil {
			return false, fmt.Errorf("vishnu: load session: read the user's generation: %w", err)
		}
		if cur == 0 || binary.BigEndian.Uint64(rec) < cur {
			return true, nil
		}
	}
	if m.cfg.UserStamp != nil {
		st, err := m.cfg.UserStamp(ctx, user)
		if err != nil {
			return false, fmt.Errorf("vishnu: load session: Config.UserStamp: %w", err)
		}
		if !hmac.Equal(fields[fieldStamp], m.stampMAC(user, st)) {
			return true, nil
		}
	}
	return false, nil
}

// userCheckedLocked returns the fields of the record under id, read as
// fields, or nil when its session was ended by its user's generation or
// stamp. The record is read before the generation: a session that
// EndUserSessions keeps is moved to the new generation before the bump, so
// a record found older than the generation is read once more before it is
// taken as ended (which costs a read only then).
func (s *Session) userCheckedLocked(id string, fields map[string][]byte) (map[string][]byte, error) {
	ended, err := s.m.endedByUser(s.ctx, fields)
	if err != nil || !ended {
		return fields, err
	}
	if s.m.generations == nil {
		return nil, nil
	}
	if fields, err = s.loadRecord(&decoded{}, id); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	if ended, err = s.m.endedByUser(s.ctx, fields); err != nil || ended {
		return nil, err
	}
	return fields, nil
}

// endedElsewhereLocked ends the session whose record (fields, under id)
// was found ended by its user's generation or stamp: the record goes (best
// effort: it is found stale again otherwise), the browser's cookie is
// expired, and the request is told (EndedElsewhere).
func (s *Session) endedElsewhereLocked(id string) {
	if !s.m.inCookie {
		_ = s.m.cfg.Store.Delete(s.ctx, id)
	}
	s.noteEndedLocked()
}

// noteEndedLocked records that the request's session was ended elsewhere.
func (s *Session) noteEndedLocked() {
	s.endedElsewhere = true
	if !s.life.cookieClosed() {
		s.outLine = s.m.cookieLine("", UntilBrowserCloses, time.Time{})
	}
}

// foundTombstoneLocked reports whether the session under id, whose record
// is gone, was ended by EndUserSession(s), and drops the tombstone so that
// only the first request after the end is told. It is asked only when a
// valid cookie names a record that is gone, and only of a store that can
// hold tombstones; a store that fails to answer is taken as "not ended":
// the notice is a courtesy, the session is gone either way.
func (s *Session) foundTombstoneLocked(id string) bool {
	if !s.m.tombstones {
		return false
	}
	tid := tombstoneID(id)
	if _, err := s.m.cfg.Store.Load(s.ctx, tid); err != nil {
		return false
	}
	_ = s.m.cfg.Store.Delete(s.ctx, tid)
	s.noteEndedLocked()
	return true
}

// EndedElsewhere reports whether the request came with a session that was
// ended from another session of its user (Manager.EndUserSession or
// EndUserSessions, a password change seen through Config.UserStamp), so
// that the application can say "you were signed out from another device"
// rather than log the visitor out silently. It is true on the first request
// after the end only (the session's cookie is expired with it); the session
// is then new and empty, as after any logout.
func (s *Session) EndedElsewhere() bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loadLocked() == nil && s.endedElsewhere
}

// endOne ends the session under id, after checking it is user's, and
// leaves its tombstone, so that its next request is told. The tombstone
// is written first: a session ended without it would only lose the
// notice, but one whose tombstone could not be written is not ended, so
// that the error is seen.
func (m *Manager) endOne(ctx context.Context, user, id string) (ended bool, err error) {
	fields, live, err := m.boundTo(ctx, id, user)
	if err != nil || !live {
		return false, err
	}
	exp := m.cfg.Clock().Add(m.ttl(m.timeoutOf(fields)))
	if err := m.cfg.Store.Save(ctx, tombstoneID(id), endedMark, exp); err != nil {
		return false, err
	}
	return true, m.cfg.Store.Delete(ctx, id)
}

// endByGeneration ends every session of user by bumping their generation,
// but for except (user's own session), which is moved to the new
// generation first: written with the generation the bump will give, it is
// never stale in between. A concurrent bump may give a later one; except
// is then moved again, and a request of except between the two sees it
// ended.
func (m *Manager) endByGeneration(ctx context.Context, user string, except *Session) error {
	keep := except != nil && except.User() == user
	if keep {
		cur, err := m.generations.UserGeneration(ctx, user)
		if err != nil {
			return fmt.Errorf("vishnu: end sessions: read the user's generation: %w", err)
		}
		if cur > 0 {
			if err := except.saveMark(fieldGeneration, binary.BigEndian.AppendUint64(nil, cur+1)); err != nil {
				return err
			}
		}
	}
	g, err := m.generations.BumpUserGeneration(ctx, user)
	if err != nil {
		return fmt.Errorf("vishnu: end sessions: bump the user's generation: %w", err)
	}
	if keep {
		return except.saveMark(fieldGeneration, binary.BigEndian.AppendUint64(nil, g))
	}
	return nil
}

// restamp records user's stamp as it is now in except, so that a password
// change ends every session but the one that made it.
func (m *Manager) restamp(ctx context.Context, user string, except *Session) error {
	if except == nil || except.User() != user {
		return nil
	}
	st, err := m.cfg.UserStamp(ctx, user)
	if err != nil {
		return fmt.Errorf("vishnu: end sessions: Config.UserStamp: %w", err)
	}
	return except.saveMark(fieldStamp, m.stampMAC(user, st))
}

// saveMark sets one of the fields that bind the session to its user and
// saves the session, as Save does.
func (s *Session) saveMark(field string, v []byte) error {
	return s.withChangeable(func() error {
		s.set(field, v)
		if err := s.commitLocked(true, false); err != nil {
			return fmt.Errorf("vishnu: end sessions: keep the current session: %w", err)
		}
		return nil
	})
}
