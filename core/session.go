package vishnu

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// maxCookieValues bounds how many cookies of the session's name one request
// may make Vishnu look at.
const maxCookieValues = 4

// Names of Vishnu's own fields in a record. The NUL prefix keeps them apart
// from application keys, which may not start with NUL.
const (
	fieldCreated = "\x00created" // Unix seconds, for the absolute timeout
	fieldTimeout = "\x00timeout" // a per-session timeout, in nanoseconds
)

// Session is one visitor's session during one request. It is loaded from
// the store the first time it is used, so a request that never uses it costs
// nothing. Its methods are safe for concurrent use by the goroutines of the
// request; a Session must not outlive its request.
//
// The methods that only read (Get, Has, Keys, IsNew, Timeout) report a
// session that could not be loaded (the store is down) as empty: the
// middleware then sends the error response instead of the handler's, so
// the visitor is not logged out. Call Load to see that error in a handler.
type Session struct {
	m   *Manager
	ctx context.Context
	t   Transport

	mu   sync.Mutex
	life lifecycle // see state.go
	// loadErr is why the session could not be read (life.read is
	// readFailed); commitErr is the commit point's result, returned again
	// by every later Commit (life.window is windowClosed or later).
	loadErr   error
	commitErr error
	logged    logOnce // the messages logged already, each at most once
	// outLine is the Set-Cookie line the commit point sends (the cookie
	// store's lines, joined by "\n", when it takes several): methods called
	// from any goroutine record it, and only the goroutine that commits
	// touches the response.
	outLine string

	// Allocated when the session is first used, so that a request that
	// never uses it carries only the fields above.
	*state
}

// state is what a Session knows once it is read.
type state struct {
	// The session's identity and expiry as its cookie carries them. A
	// new session's token is minted when its record is first written.
	tok       token
	id        string // the store's id for tok
	record    recordState
	expires   time.Time
	refreshed time.Time // when expires was last pushed back
	payload   []byte    // the cookie store's record, as the cookie carries it

	// Two facts of the request, apart from the record's state because
	// they outlive it: hadValid, that the request carried a valid cookie
	// (Destroy expires it even when its record was gone already), and
	// stale, that that cookie was made with a previous secret or key (it
	// is re-issued; cleared when a new cookie goes out).
	hadValid bool
	stale    bool
	// src is where the request's token came from, and so where the
	// response answers it; for a new session, where its token goes (see
	// TokenConfig).
	src TokenSource
	// endedElsewhere: that cookie's session was ended from another session
	// of its user (see Session.EndedElsewhere).
	endedElsewhere bool

	// fields is the session as the handler sees it; pending holds the
	// changes not yet committed, with nil for a deletion (edits says which
	// kind). consumed lists the flashes read, whose deletion is committed
	// even without AutoSave.
	fields   map[string][]byte
	pending  map[string][]byte
	edits    editState
	consumed []string
	// timeout is the session's timeout as the handler sees it;
	// savedTimeout is the one stored, which governs expiry until saved.
	timeout      time.Duration
	savedTimeout time.Duration

	// failure is an error the request must be answered with even though
	// the method that met it returned (a logout that could not be
	// recorded), unless the handler says it answered it (ErrorHandled).
	failure error

	createdBuf [binary.MaxVarintLen64]byte // holds a new session's creation time
}

// firstLog reports whether the message k is logged for the first time in
// this request, and notes that it is.
func (s *Session) firstLog(k logOnce) bool {
	if s.logged&k != 0 {
		return false
	}
	s.logged |= k
	return true
}

func (s *Session) init(m *Manager, ctx context.Context, t Transport) {
	s.m, s.ctx, s.t = m, ctx, t
}

// Load reads the session now if it has not been read yet, and returns the
// store's error if it could not be. Handlers need not call it; it is for
// those that want to tell "no data" from "no store".
func (s *Session) Load() error {
	return s.withLoaded(func() error { return nil })
}

// withChangeable runs fn, a change, with the session locked and loaded,
// unless the request has ended.
func (s *Session) withChangeable(fn func() error) error {
	if s == nil {
		return ErrNoSession
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.endedLocked(); err != nil {
		return err
	}
	if err := s.loadLocked(); err != nil {
		return err
	}
	return fn()
}

// endedLocked returns ErrRequestEnded, logged once, for a change made
// after the request ended: nothing would ever commit it.
func (s *Session) endedLocked() error {
	if s.life.window != windowEnded {
		return nil
	}
	if s.firstLog(loggedEnded) {
		s.m.cfg.Logger.ErrorContext(s.ctx, "vishnu: session changed after its request ended; change not saved", "err", ErrRequestEnded)
	}
	return ErrRequestEnded
}

// withLoaded runs fn with the session locked and loaded.
func (s *Session) withLoaded(fn func() error) error {
	if s == nil {
		return ErrNoSession
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.loadLocked(); err != nil {
		return err
	}
	return fn()
}

func (s *Session) loadLocked() error {
	switch s.life.read {
	case readOK:
		return nil
	case readFailed:
		return s.loadErr
	}
	s.state = new(state)
	now := s.m.cfg.Clock()
	for _, src := range s.m.cfg.Token.Sources {
		values, present := s.tokenValues(src)
		if present && s.src == 0 {
			s.src = src // a new session goes where the request asked for one
		}
		if found, err := s.loadFrom(src, values, now); found || err != nil {
			return err
		}
	}
	if s.src == 0 {
		s.src = s.m.cfg.Token.Sources[0]
	}
	s.startNew(now)
	s.life.loaded(true)
	return nil
}

// loadFrom loads the session named by the first of values (the tokens the
// request carries in src) that is valid and names a live session, and
// reports whether it found one.
func (s *Session) loadFrom(src TokenSource, values []string, now time.Time) (bool, error) {
	// A browser sends a few cookies of one name at most (one per path or
	// domain); a request with many is not allowed to cost a store lookup each.
	values = values[:min(len(values), maxCookieValues)]
	for i, v := range values {
		if slices.Contains(values[:i], v) {
			continue
		}
		d, ok := s.m.readCookie(s.t, v, now)
		if !ok {
			s.m.cfg.Logger.DebugContext(s.ctx, "vishnu: rejected session token", "source", src, "cookie", s.m.cfg.Cookie.Name)
			continue
		}
		if !s.hadValid {
			// The place the answer goes: a logout expires this token even
			// when its record is gone already.
			s.hadValid, s.src = true, src
		}
		id := ""
		if !s.m.inCookie {
			id = d.token.storeID()
		}
		fields, err := s.loadRecord(&d, id)
		if errors.Is(err, ErrNotFound) {
			s.foundTombstoneLocked(id)
			continue
		}
		if err != nil {
			s.loadErr = err
			s.life.loaded(false)
			return false, err
		}
		if s.m.expiredNow(fields, d.refreshed, now) {
			if !s.m.inCookie {
				// Best effort: the store's own expiry removes it otherwise.
				_ = s.m.cfg.Store.Delete(s.ctx, id)
			}
			continue
		}
		if fields, err = s.userCheckedLocked(id, fields); err != nil {
			s.loadErr = err
			s.life.loaded(false)
			return false, err
		}
		if fields == nil {
			s.endedElsewhereLocked(id)
			continue
		}
		s.tok, s.id, s.expires, s.refreshed, s.stale = d.token, id, d.expires, d.refreshed, d.stale
		s.payload, s.fields, s.src = d.payload, fields, src
		s.record.found()
		s.timeout = s.m.timeoutOf(fields)
		s.savedTimeout = s.timeout
		s.life.loaded(true)
		return true, nil
	}
	return false, nil
}

// loadRecord returns the fields of the session a valid cookie names, or
// ErrNotFound when there is none (a record that does not decode counts as
// none: it cannot be used, and the store said nothing wrong).
func (s *Session) loadRecord(d *decoded, id string) (map[string][]byte, error) {
	var rec []byte
	if s.m.inCookie {
		rec = d.payload
	} else {
		var fields map[string][]byte
		var err error
		if rec, fields, err = loadStored(s.ctx, s.m.cfg.Store, id); err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil, err
			}
			return nil, fmt.Errorf("vishnu: load session: %w", err)
		}
		if fields != nil {
			return fields, nil // the memory store's copy: nothing to decode
		}
	}
	fields, err := DecodeRecord(rec)
	if err != nil {
		s.m.cfg.Logger.WarnContext(s.ctx, "vishnu: session record does not decode; starting a new session", "err", err)
		return nil, ErrNotFound
	}
	return fields, nil
}

// expiredNow reports whether a session is past the idle or absolute timeout
// in force now. The cookie's own expiry was set under the configuration in
// force when it was refreshed; a timeout lowered since then (a redeploy)
// applies to every session at once.
func (m *Manager) expiredNow(fields map[string][]byte, refreshed, now time.Time) bool {
	if !now.Before(refreshed.Add(m.ttl(m.timeoutOf(fields)))) {
		return true
	}
	return m.cfg.AbsoluteTimeout > 0 && !now.Before(createdAt(fields).Add(m.cfg.AbsoluteTimeout))
}

// timeoutOf returns the timeout a record holds, or the configured one.
func (m *Manager) timeoutOf(fields map[string][]byte) time.Duration {
	if n, size := binary.Varint(fields[fieldTimeout]); size > 0 {
		return time.Duration(n)
	}
	return m.cfg.Timeout
}

func createdAt(fields map[string][]byte) time.Time {
	n, size := binary.Varint(fields[fieldCreated])
	if size <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0)
}

// startNew makes s an empty new session. Its token is minted when it is
// first persisted, so a new session that stays empty costs no randomness.
func (s *Session) startNew(now time.Time) {
	s.tok, s.id, s.payload, s.stale = token{}, "", nil, false
	s.record.dropped()
	s.fields = map[string][]byte{fieldCreated: binary.AppendVarint(s.createdBuf[:0:binary.MaxVarintLen64], now.Unix())}
	s.pending, s.consumed = nil, nil
	s.edits.clean()
	s.timeout, s.savedTimeout = s.m.cfg.Timeout, s.m.cfg.Timeout
}

// set records a change of one field, nil meaning deletion. A session not
// yet stored is written whole, so only a stored one tracks pending changes.
func (s *Session) set(key string, raw []byte) {
	if raw == nil {
		delete(s.fields, key)
	} else {
		s.fields[key] = raw
	}
	s.edits.edited()
	if !s.record.exists() {
		return
	}
	if s.pending == nil {
		s.pending = make(map[string][]byte)
	}
	s.pending[key] = raw
}

// Get returns the value stored under key as a T, and whether there is one
// that decodes as a T. Values come back with the type they were Set with,
// with no registration of types.
func Get[T any](s *Session, key string) (T, bool) {
	raw, ok := s.raw(key)
	if !ok {
		var zero T
		return zero, false
	}
	v, err := decodeValue[T](raw)
	if err != nil {
		s.m.cfg.Logger.WarnContext(s.ctx, "vishnu: session value does not decode as the requested type", "key", key, "err", err)
		return v, false
	}
	return v, true
}

func (s *Session) raw(key string) ([]byte, bool) {
	if s == nil || !validKey(key) {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loadLocked() != nil {
		return nil, false
	}
	raw, ok := s.fields[key]
	return raw, ok
}

// PopFlash returns the flash message stored under key by Flash, and
// deletes it: a flash is read once. The deletion is committed with the
// response even when AutoSave is off.
func PopFlash[T any](s *Session, key string) (T, bool) {
	var zero T
	if s == nil || !validKey(key) {
		return zero, false
	}
	raw, ok := s.popFlash(key)
	if !ok {
		return zero, false
	}
	v, err := decodeValue[T](raw)
	return v, err == nil
}

func (s *Session) popFlash(key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loadLocked() != nil {
		return nil, false
	}
	raw, ok := s.fields[key]
	if !ok || !isFlash(raw) {
		return nil, false
	}
	// A flash set in this request may hide an older one in the store: the
	// pending write is dropped and the stored key deleted either way.
	delete(s.fields, key)
	delete(s.pending, key)
	s.consumed = append(s.consumed, key)
	return raw, true
}

// Set stores value under key. Any value that encoding/json can encode may be
// stored; string, []byte, int, int64 and bool are stored compactly. With
// AutoSave, once the response headers are sent, a change that would need a
// new cookie (a new session, or the cookie store) can no longer be delivered:
// Set then returns ErrHeadersWritten and changes nothing.
func (s *Session) Set(key string, value any) error {
	return s.put(key, value, false)
}

// Flash stores a message under key to be read once with PopFlash, typically
// on the next request (a "saved" notice after a redirect).
func (s *Session) Flash(key string, value any) error {
	return s.put(key, value, true)
}

func (s *Session) put(key string, value any, flash bool) error {
	if s == nil {
		return ErrNoSession
	}
	if !validKey(key) {
		return fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	raw, err := encodeValue(value, flash)
	if err != nil {
		return err
	}
	return s.withChangeable(func() error {
		if err := s.undeliverableLocked(); err != nil {
			return err
		}
		s.set(key, raw)
		return nil
	})
}

// undeliverableLocked returns ErrHeadersWritten for a change that AutoSave
// could no longer deliver: once the headers are gone, a new session, or any
// change with the cookie store, would need a cookie. (Without AutoSave the
// change waits for Save, which reports it.)
func (s *Session) undeliverableLocked() error {
	if s.m.cfg.AutoSave && (!s.record.exists() || s.m.inCookie) && s.life.cookieClosed() {
		return ErrHeadersWritten
	}
	return nil
}

func validKey(key string) bool { return key != "" && key[0] != 0 }

// Delete removes key from the session.
func (s *Session) Delete(key string) {
	if s == nil || !validKey(key) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.endedLocked() != nil || s.loadLocked() != nil {
		return
	}
	if _, ok := s.fields[key]; ok {
		s.set(key, nil)
	}
}

// Clear removes every key from the session, and unbinds it from its user
// (Login): a cleared session is nobody's, and is no longer listed among the
// user's sessions once saved. The session itself (its cookie and timeout)
// stays; use Destroy to end it.
func (s *Session) Clear() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.endedLocked() != nil || s.loadLocked() != nil {
		return
	}
	keep := make(map[string][]byte, 2)
	for k, v := range s.fields {
		if !validKey(k) && !userField(k) {
			keep[k] = v
		}
	}
	// Flashes read stay consumed: their deletion is committed even unsaved.
	s.fields, s.pending = keep, maps.Clone(keep)
	s.edits.cleared()
}

// Has reports whether the session holds key.
func (s *Session) Has(key string) bool {
	_, ok := s.raw(key)
	return ok
}

// Keys returns the session's keys, sorted.
func (s *Session) Keys() []string {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loadLocked() != nil {
		return nil
	}
	keys := make([]string, 0, len(s.fields))
	for k := range s.fields {
		if validKey(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// IsNew reports whether the session was created in this request (the
// request carried no valid session cookie).
func (s *Session) IsNew() bool {
	if s == nil {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// A session that could not be read reads as empty, not new.
	return s.loadLocked() == nil && s.record.isNew()
}

// Timeout returns the session's timeout: the Config's, or the one set with
// SetTimeout.
func (s *Session) Timeout() time.Duration {
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.loadLocked()
	return s.timeout
}

// SetTimeout sets how long this session lives unused, overriding
// Config.Timeout; UntilBrowserCloses makes its cookie last until the browser
// closes ("remember me" unticked). It is kept with the session and is a
// change like Set. It returns an error for a negative or sub-second timeout.
func (s *Session) SetTimeout(d time.Duration) error {
	if s == nil {
		return ErrNoSession
	}
	if d < 0 || (d > 0 && d < time.Second) || d > MaxTimeout {
		return fmt.Errorf("vishnu: session timeout must be UntilBrowserCloses or between one second and MaxTimeout, got %v", d)
	}
	return s.withChangeable(func() error {
		if err := s.undeliverableLocked(); err != nil {
			return err
		}
		if d != s.timeout {
			s.timeout = d
			s.set(fieldTimeout, binary.AppendVarint(nil, int64(d)))
		}
		return nil
	})
}

// Save persists the session's changes now and sets its cookie. With
// AutoSave off it is the only way changes are kept. It returns
// ErrHeadersWritten when the session needs a new cookie that can no longer
// be sent, ErrSessionGone when another request destroyed the session, and
// the store's error when the store fails.
func (s *Session) Save() error {
	return s.withChangeable(func() error { return s.commitLocked(true, false) })
}

// Regenerate gives the session a new token, keeping its data, and retires
// the record under the old one: call it when a user logs in, so that a token
// planted before login is worthless after it (session fixation). It saves the
// session, as Save does, so call it after the other changes of the login. A
// session bound to a user (Login) stays listed among the user's sessions
// under its new token.
//
// Regenerate succeeds whole or not at all. When it fails (the store fails,
// or the headers are gone: ErrHeadersWritten), the session keeps its old
// token, and the changes made in this request and not yet saved are
// dropped: none of them is ever committed under the old token, which is
// the one a planted cookie holds. The session reads as it was last saved,
// read again from the store; if the store cannot be read either, the
// session reports that error for the rest of the request, and the request
// gets the error response.
//
// A logout wins over a login in flight: when the old session is destroyed
// by another request after Regenerate has started and before the old record
// is retired, the new record is deleted too, the cookie is expired and
// Regenerate returns ErrSessionGone. With a Committer the old record is
// retired by a Commit that fails if the record is gone, so that no Destroy
// can slip in unseen; without one, by a Load and a Delete.
func (s *Session) Regenerate() error {
	return s.withChangeable(func() error { return s.regenerateLocked(nil, false) })
}

// binding is what binds a session to a user: the user, and the info of
// its entry in the user's index.
type binding struct {
	user  string
	info  []byte
	marks map[string][]byte // what ends the session without an index (usergeneration.go)
}

// identity is what names a session's record and what its cookie says: what
// a failed Regenerate puts back.
type identity struct {
	tok                token
	id                 string
	record             recordState
	expires, refreshed time.Time
	stale              bool
	payload            []byte
	outLine            string
}

func (s *Session) identityLocked() identity {
	return identity{s.tok, s.id, s.record, s.expires, s.refreshed, s.stale, s.payload, s.outLine}
}

// restoreLocked puts back the identity a failed Regenerate started from.
func (s *Session) restoreLocked(id identity) {
	s.tok, s.id, s.record = id.tok, id.id, id.record
	s.expires, s.refreshed, s.stale, s.payload, s.outLine = id.expires, id.refreshed, id.stale, id.payload, id.outLine
}

// regenerateLocked is Regenerate, and the heart of Login: to, when not nil,
// is the binding the new record gets (else it keeps the session's own), and
// fresh starts the new record from an empty session. The new record is
// written and listed before the old one is retired, so that the session is
// never live and unlisted, and its cookie is set only once the whole
// regeneration has succeeded.
func (s *Session) regenerateLocked(to *binding, fresh bool) error {
	if s.life.cookieClosed() {
		s.dropChangesLocked()
		return ErrHeadersWritten
	}
	m := s.m
	idx := m.index
	from := binding{user: s.userLocked(), info: s.fields[fieldLogin]}
	if to == nil && from.user != "" {
		to = &from
	}
	old := s.identityLocked()
	if old.record.exists() && !m.inCookie && !fresh {
		if err := s.mergeStoredLocked(); err != nil {
			return err
		}
	}
	now := m.cfg.Clock()
	if fresh {
		s.startNew(now)
	}
	if to != nil {
		s.fields[fieldUser], s.fields[fieldLogin] = []byte(to.user), to.info
		maps.Copy(s.fields, to.marks)
	}
	// The whole record, under a new token.
	if err := s.commitLocked(true, true); err != nil {
		s.restoreLocked(old)
		s.dropChangesLocked()
		return err
	}
	if to != nil && idx != nil {
		if err := idx.AddUserSession(s.ctx, to.user, s.id, to.info, m.indexExpiry(s.fields, now)); err != nil {
			s.abandonNewLocked(old, nil, nil)
			return fmt.Errorf("vishnu: regenerate: list the session: %w", err)
		}
	}
	if !old.record.exists() || m.inCookie {
		return nil
	}
	err := s.retire(old.id)
	if errors.Is(err, ErrNotFound) {
		// Destroyed meanwhile: the login must not outlive the logout, and
		// the browser gets no cookie of the new record, deleted or not.
		derr := s.deleteNewLocked(to, idx)
		s.startNew(now)
		s.outLine = m.cookieLine("", UntilBrowserCloses, time.Time{})
		if derr != nil {
			return fmt.Errorf("%w; its new record could not be deleted: %w", ErrSessionGone, derr)
		}
		return ErrSessionGone
	}
	if err != nil {
		s.abandonNewLocked(old, to, idx)
		return fmt.Errorf("vishnu: regenerate: retire the old record: %w", err)
	}
	if from.user != "" && idx != nil {
		// Best effort: the old record is gone, so its entry is dropped
		// when the user's sessions are next listed anyway.
		_ = idx.RemoveUserSession(s.ctx, from.user, old.id)
	}
	return nil
}

// deleteNewLocked deletes the record a failed regeneration wrote, and its
// index entry once the record is gone (a record that could not be deleted
// stays listed: a live session is never unlisted).
func (s *Session) deleteNewLocked(to *binding, idx UserIndex) error {
	if err := s.m.cfg.Store.Delete(s.ctx, s.id); err != nil {
		return err
	}
	if to != nil && idx != nil {
		_ = idx.RemoveUserSession(s.ctx, to.user, s.id)
	}
	return nil
}

// abandonNewLocked undoes a regeneration that failed after writing its new
// record: the record goes (best effort: nobody holds its token), the old
// identity and cookie come back, and the request's changes are dropped.
func (s *Session) abandonNewLocked(old identity, to *binding, idx UserIndex) {
	_ = s.deleteNewLocked(to, idx)
	s.restoreLocked(old)
	s.dropChangesLocked()
}

// dropChangesLocked drops the changes of this request that are not yet
// committed, and reads the session again as it was last committed: what a
// failed Regenerate leaves, so that nothing of it is committed under the
// old token. A store that cannot be read makes the session report its
// error from then on (the request then gets the error response).
func (s *Session) dropChangesLocked() {
	now := s.m.cfg.Clock()
	if !s.record.exists() {
		s.startNew(now)
		return
	}
	fields, err := s.loadRecord(&decoded{payload: s.payload}, s.id)
	switch {
	case errors.Is(err, ErrNotFound):
		// Destroyed meanwhile.
		s.startNew(now)
		s.outLine = s.m.cookieLine("", UntilBrowserCloses, time.Time{})
	case err != nil:
		s.loadErr = err
		s.life.unreadable()
	default:
		s.fields, s.pending, s.consumed = fields, nil, nil
		s.edits.clean()
		s.timeout = s.m.timeoutOf(fields)
		s.savedTimeout = s.timeout
	}
}

// retire ends the record under id, returning ErrNotFound when it was gone
// already. A Commit that may not create finds a destroyed record
// atomically, and its expiry of now ends the record (a Store never returns
// an expired record); the Delete that follows only frees it early, so its
// failure is not the regeneration's. Without a Committer the Delete is
// what ends the record.
func (s *Session) retire(id string) error {
	now := s.m.cfg.Clock()
	if s.m.committer != nil {
		if err := s.m.committer.Commit(s.ctx, id, &Change{Expires: now}); err != nil {
			return err
		}
		_ = s.m.cfg.Store.Delete(s.ctx, id)
		return nil
	}
	if _, err := s.m.cfg.Store.Load(s.ctx, id); err != nil {
		return err
	}
	return s.m.cfg.Store.Delete(s.ctx, id)
}

// mergeStoredLocked makes the session's fields the stored record with this
// request's changes applied, as Save would commit them: Regenerate then
// keeps what other requests changed meanwhile, and a session destroyed
// meanwhile stays destroyed (ErrSessionGone). A change committed to the old
// record after this load and before it is retired is lost with it: the old
// record is being retired. When the store fails, the request's changes are
// dropped (see Regenerate).
func (s *Session) mergeStoredLocked() error {
	cur, err := s.m.cfg.Store.Load(s.ctx, s.id)
	if errors.Is(err, ErrNotFound) {
		s.startNew(s.m.cfg.Clock())
		s.outLine = s.m.cookieLine("", UntilBrowserCloses, time.Time{})
		return ErrSessionGone
	}
	var fields map[string][]byte
	if err == nil {
		c := s.change(true, s.expires)
		var rec []byte
		if rec, err = c.Apply(cur); err == nil {
			fields, err = DecodeRecord(rec)
		}
	}
	if err != nil {
		s.dropChangesLocked()
		return fmt.Errorf("vishnu: regenerate: %w", err)
	}
	s.fields, s.pending, s.consumed = fields, nil, nil
	s.edits.clean()
	s.timeout = s.m.timeoutOf(fields)
	return nil
}

// Destroy ends the session (logout): its record is deleted now and its
// cookie expired. The Session is then empty and new; setting values in it
// starts a new session. A request that was in flight with the old session
// cannot bring it back. With the cookie store, deleting a record is not
// possible: the cookie is expired, but a copy of it stays valid until its
// expiry.
//
// A logout that could not be recorded never looks like a successful one:
// when the store fails, Destroy returns its error, the cookie is expired all
// the same, and the request is answered with the configured error response
// (Config.ErrorResponse) in place of the handler's, unless the handler
// answers the failure itself and says so with ErrorHandled.
func (s *Session) Destroy() error {
	if s == nil {
		return ErrNoSession
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.endedLocked(); err != nil {
		return err
	}
	if err := s.loadLocked(); err != nil {
		// The store is down: the logout cannot be recorded, but the
		// browser drops its cookie all the same.
		if s.hadValid && !s.life.cookieClosed() {
			s.outLine = s.m.cookieLine("", UntilBrowserCloses, time.Time{})
		}
		return err
	}
	return s.destroyLocked()
}

func (s *Session) destroyLocked() error {
	var err error
	if s.record.exists() && !s.m.inCookie {
		if err = s.m.cfg.Store.Delete(s.ctx, s.id); err != nil {
			err = fmt.Errorf("vishnu: destroy session: %w", err)
		} else if idx, ok := s.m.cfg.Store.(UserIndex); ok && s.userLocked() != "" {
			// Best effort: a listed session whose record is gone is never
			// shown, and is dropped from the index when next listed.
			_ = idx.RemoveUserSession(s.ctx, s.userLocked(), s.id)
		}
	}
	// The browser may hold a cookie from an earlier request, or this one
	// may have set one already: either way it must go.
	expire := s.hadValid || s.record.exists()
	s.startNew(s.m.cfg.Clock())
	s.failure = err
	if expire {
		if s.life.cookieClosed() {
			return errors.Join(err, ErrHeadersWritten)
		}
		s.outLine = s.m.cookieLine("", UntilBrowserCloses, time.Time{})
	}
	return err
}

// ErrorHandled tells the commit point that the handler has answered the
// failure of a session method itself (for example a logout page that says
// the logout failed, with its own error status), so the configured error
// response is not sent in its place. The cookie is expired all the same.
func (s *Session) ErrorHandled() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != nil {
		s.failure = nil
	}
}
