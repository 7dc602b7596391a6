package vishnu

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
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

	mu          sync.Mutex
	used        atomic.Bool // set once the session is first used; read without mu
	ended       atomic.Bool // the request is over (Finish): no change can be kept
	endedLogged bool        // a change after the end was logged
	loaded      bool
	loadErr     error

	// The commit window. committing is set when the commit point starts and
	// closed when it is over: from then on no cookie can be sent, whatever
	// the Transport says. commitErr is the commit point's result.
	committing bool
	closed     bool
	commitErr  error
	// outLine is the Set-Cookie line the commit point sends: methods called
	// from any goroutine record it, and only the goroutine that commits
	// touches the response.
	outLine string

	// Allocated when the session is first used, so that a request that
	// never uses it carries only the fields above.
	*state
}

// state is what a Session knows once it is loaded.
type state struct {
	// The session's identity and expiry as its cookie carries them.
	tok       token
	id        string // the store's id for tok
	hasTok    bool   // false for a new session until it is first persisted
	expires   time.Time
	refreshed time.Time // when expires was last pushed back
	stale     bool      // the cookie was made with a previous secret or key
	payload   []byte    // the cookie store's record, as the cookie carries it
	isNew     bool      // no valid session came with the request
	stored    bool      // a record exists for tok (for the cookie store: a cookie)
	hadValid  bool      // the request carried a valid cookie (to expire on Destroy)

	// fields is the session as the handler sees it; pending holds the
	// changes not yet committed, with nil for a deletion. consumed lists
	// the flashes read, whose deletion is committed even without AutoSave.
	fields   map[string][]byte
	pending  map[string][]byte
	replace  bool
	dirty    bool // pending holds application changes
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

	lateLogged    bool // an undeliverable change was logged
	unsavedLogged bool // an unsaved change (AutoSave off) was logged
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
	if !s.ended.Load() {
		return nil
	}
	if !s.endedLogged {
		s.endedLogged = true
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
	if s.loaded {
		return s.loadErr
	}
	s.loaded = true
	s.used.Store(true)
	s.state = new(state)
	now := s.m.cfg.Clock()
	values := s.t.Cookies(s.m.cfg.Cookie.Name)
	// A browser sends a few cookies of one name at most (one per path or
	// domain); a request with many is not allowed to cost a store lookup each.
	values = values[:min(len(values), maxCookieValues)]
	for i, v := range values {
		if slices.Contains(values[:i], v) {
			continue
		}
		d, ok := s.m.codec.decode(v, now)
		if !ok {
			s.m.cfg.Logger.DebugContext(s.ctx, "vishnu: rejected session cookie", "cookie", s.m.cfg.Cookie.Name)
			continue
		}
		s.hadValid = true
		id := ""
		if !s.m.inCookie {
			id = d.token.storeID()
		}
		fields, err := s.loadRecord(&d, id)
		if errors.Is(err, ErrNotFound) {
			s.hadValid = true
			continue
		}
		if err != nil {
			s.loadErr = err
			return err
		}
		if s.m.expiredNow(fields, d.refreshed, now) {
			s.hadValid = true
			if !s.m.inCookie {
				// Best effort: the store's own expiry removes it otherwise.
				_ = s.m.cfg.Store.Delete(s.ctx, id)
			}
			continue
		}
		s.tok, s.id, s.hasTok, s.expires, s.stale = d.token, id, true, d.expires, d.stale
		s.refreshed = d.refreshed
		s.payload, s.fields, s.stored, s.hadValid = d.payload, fields, true, true
		s.timeout = s.m.timeoutOf(fields)
		s.savedTimeout = s.timeout
		return nil
	}
	s.startNew(now)
	return nil
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
	s.hasTok, s.stored, s.isNew, s.stale = false, false, true, false
	s.payload = nil
	s.fields = map[string][]byte{fieldCreated: binary.AppendVarint(s.createdBuf[:0:binary.MaxVarintLen64], now.Unix())}
	s.pending, s.replace, s.dirty, s.consumed = nil, false, false, nil
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
	s.dirty = true
	if !s.stored {
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
	if s.m.cfg.AutoSave && (!s.stored || s.m.inCookie) && s.closed {
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

// Clear removes every key from the session. The session itself (its cookie
// and timeout) stays; use Destroy to end it.
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
		if !validKey(k) {
			keep[k] = v
		}
	}
	// Flashes read stay consumed: their deletion is committed even unsaved.
	s.fields, s.pending, s.replace, s.dirty = keep, maps.Clone(keep), true, true
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
	_ = s.loadLocked()
	return s.isNew
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
	return s.withChangeable(func() error { return s.commitLocked(true) })
}

// Regenerate gives the session a new token, keeping its data, and retires
// the record under the old one: call it when a user logs in, so that a token
// planted before login is worthless after it (session fixation). It saves the
// session, as Save does, so call it after the other changes of the login.
//
// A logout wins over a login in flight: when the old session is destroyed
// by another request after Regenerate has started and before the old record
// is retired, the new record is deleted too, the cookie is expired and
// Regenerate returns ErrSessionGone. With a Committer the old record is
// retired by a Commit that fails if the record is gone, so that no Destroy
// can slip in unseen; without one, by a Load and a Delete.
func (s *Session) Regenerate() error {
	return s.withChangeable(s.regenerateLocked)
}

func (s *Session) regenerateLocked() error {
	if s.closed {
		return ErrHeadersWritten
	}
	if !s.stored {
		// Never persisted: its token, if any, is known to nobody else.
		s.hasTok = false
		return s.commitLocked(true)
	}
	if !s.m.inCookie {
		if err := s.mergeStoredLocked(); err != nil {
			return err
		}
	}
	// Persisted as a new session: the whole record under a new token.
	old, oldID := s.tok, s.id
	s.hasTok, s.stored, s.dirty = false, false, true
	if err := s.commitLocked(true); err != nil {
		s.tok, s.id, s.hasTok, s.stored = old, oldID, true, true
		return err
	}
	if s.m.inCookie {
		return nil
	}
	err := s.retire(oldID)
	if errors.Is(err, ErrNotFound) {
		// Destroyed meanwhile: the login must not outlive the logout.
		if err := s.m.cfg.Store.Delete(s.ctx, s.id); err != nil {
			return fmt.Errorf("vishnu: regenerate: delete the new record of a destroyed session: %w", err)
		}
		s.startNew(s.m.cfg.Clock())
		s.outLine = s.m.cookieLine("", UntilBrowserCloses, time.Time{})
		return ErrSessionGone
	}
	if err != nil {
		return fmt.Errorf("vishnu: regenerate: retire the old record: %w", err)
	}
	return nil
}

// retire ends the record under id, returning ErrNotFound when it was gone
// already. A Commit that may not create finds a destroyed record atomically,
// and its expiry of now ends the record; the Delete then makes sure of it
// with a store that keeps records with a past expiry.
func (s *Session) retire(id string) error {
	now := s.m.cfg.Clock()
	var err error
	if s.m.committer != nil {
		err = s.m.committer.Commit(s.ctx, id, &Change{Expires: now})
	} else {
		_, err = s.m.cfg.Store.Load(s.ctx, id)
	}
	if err != nil {
		return err
	}
	return s.m.cfg.Store.Delete(s.ctx, id)
}

// mergeStoredLocked makes the session's fields the stored record with this
// request's changes applied, as Save would commit them: Regenerate then
// keeps what other requests changed meanwhile, and a session destroyed
// meanwhile stays destroyed (ErrSessionGone). A change committed to the old
// record after this load and before it is retired is lost with it: the old
// record is being retired.
func (s *Session) mergeStoredLocked() error {
	cur, err := s.m.cfg.Store.Load(s.ctx, s.id)
	if errors.Is(err, ErrNotFound) {
		s.startNew(s.m.cfg.Clock())
		s.outLine = s.m.cookieLine("", UntilBrowserCloses, time.Time{})
		return ErrSessionGone
	}
	if err != nil {
		return fmt.Errorf("vishnu: regenerate: %w", err)
	}
	c := s.change(true, s.expires)
	rec, err := c.Apply(cur)
	if err != nil {
		return fmt.Errorf("vishnu: regenerate: %w", err)
	}
	fields, err := DecodeRecord(rec)
	if err != nil {
		return fmt.Errorf("vishnu: regenerate: %w", err)
	}
	s.fields, s.pending, s.replace, s.consumed = fields, nil, false, nil
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
		if s.hadValid && !s.closed {
			s.outLine = s.m.cookieLine("", UntilBrowserCloses, time.Time{})
		}
		return err
	}
	return s.destroyLocked()
}

func (s *Session) destroyLocked() error {
	var err error
	if s.stored && !s.m.inCookie {
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
	expire := s.hadValid || s.stored
	s.startNew(s.m.cfg.Clock())
	s.failure = err
	if expire {
		if s.closed {
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
