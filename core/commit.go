package vishnu

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Committing a session is decided in one pure function, planCommit, and
// carried out by another, commitLocked. The decision's inputs are the
// session's state (state.go) read into a commitState; its output, a
// commitPlan, says what to write to the store, with which expiry, and
// whether a cookie goes out.
//
// The combinations of state that can occur:
//   - stored is false for a new session (recordNone: no valid cookie came,
//     or it was destroyed in this request) and for Regenerate, which writes
//     the whole record under a new token; dirty may be set, flashesRead and
//     stale are not (a new session has no flashes to read and no cookie),
//     newTimeout only with dirty.
//   - stored is true for a session whose record exists (recordCreated,
//     recordStored); any of dirty, flashesRead, newTimeout (only with
//     dirty) and stale may be set.
//   - closed (the lifecycle's cookieClosed) may be set with any of them:
//     Save after the commit point, and the late commit of Finish.
//
// commit_test.go tables examples of the decision; state_test.go checks it
// over every one of these combinations.

// commitState is everything planCommit reads.
type commitState struct {
	explicit    bool // Save or Regenerate, rather than the commit point
	autoSave    bool
	inCookie    bool // the cookie store
	stored      bool // a record (or, for the cookie store, a cookie) exists
	dirty       bool // application changes are pending
	flashesRead bool // flashes were read: their deletion is committed even unsaved
	newTimeout  bool // the pending timeout differs from the stored one
	stale       bool // the cookie was made with a previous secret or key
	closed      bool // the commit point has passed: no cookie can be sent

	now        time.Time
	pendingTTL time.Duration // lifetime under the pending timeout
	storedTTL  time.Duration // lifetime under the stored timeout
	limit      time.Time     // where the absolute timeout ends; zero for none
	expires    time.Time     // the expiry the cookie carries now
	refreshed  time.Time     // when the cookie's expiry was last pushed back
}

// writeKind is what a commit writes to the store.
type writeKind uint8

const (
	writeNone   writeKind = iota
	writeCreate           // a new record, whole (Save)
	writeChange           // a Change to the stored record
	writeTouch            // the stored record's expiry only
	writeCookie           // the cookie store: the record goes in the cookie
)

// commitPlan is what planCommit decides.
type commitPlan struct {
	write     writeKind
	withData  bool      // the application's changes are written
	expires   time.Time // the new expiry of the record and cookie
	refreshed time.Time // when that expiry was set (now, or unchanged)
	cookie    bool      // a new cookie is sent
	err       error     // ErrHeadersWritten: the change cannot be delivered
}

// planCommit decides a commit. Nothing is written when nothing changed, and
// expiry is pushed back only once a tenth of the session's lifetime has
// passed since the last time, so that a busy session is not rewritten on
// every request.
func planCommit(in commitState) commitPlan {
	withData := in.dirty && (in.explicit || in.autoSave)
	change := withData || in.flashesRead
	if !in.stored && !withData {
		return commitPlan{} // a new session that holds nothing worth keeping
	}
	// Expiry follows the timeout that will be stored: an unsaved
	// SetTimeout moves nothing.
	ttl := in.storedTTL
	if withData {
		ttl = in.pendingTTL
	}
	expires := in.now.Add(ttl)
	if !in.limit.IsZero() && expires.After(in.limit) {
		expires = in.limit
	}
	// Refresh once a tenth of the lifetime has passed since the last time,
	// or at once when the cookie outlives what the timeout now allows.
	refresh := !in.stored || (withData && in.newTimeout) ||
		expires.Sub(in.expires) > ttl/10 || in.expires.After(expires)
	cookie := refresh || in.stale || (in.inCookie && change)
	if cookie && in.closed {
		if !in.stored || (in.inCookie && change) {
			return commitPlan{err: ErrHeadersWritten}
		}
		// The record can still be written, and its expiry brought forward
		// if the timeout was shortened; the cookie waits for a later
		// request, which refreshes both. (The cookie store, whose record
		// is its cookie, then writes nothing.)
		refresh, cookie = expires.Before(in.expires), false
	}
	p := commitPlan{withData: withData, expires: in.expires, refreshed: in.refreshed, cookie: cookie}
	if refresh {
		p.expires, p.refreshed = expires, in.now
	}
	switch {
	case !in.stored:
		p.write = writeCreate
	case in.inCookie:
		if cookie {
			p.write = writeCookie
		}
	case change:
		p.write = writeChange
	case refresh:
		p.write = writeTouch
	}
	if p.write == writeNone && !p.cookie {
		return commitPlan{}
	}
	return p
}

// commitLocked makes the session durable: it is called at the commit point
// of the request (explicit false: application changes are written only with
// AutoSave), by Save (explicit true), and by Regenerate (whole: the whole
// record is written under a new token).
func (s *Session) commitLocked(explicit, whole bool) error {
	switch s.life.read {
	case unread:
		return nil // never used in this request
	case readFailed:
		return s.loadErr
	}
	m := s.m
	now := m.cfg.Clock()
	in := commitState{
		explicit:    explicit,
		autoSave:    m.cfg.AutoSave,
		inCookie:    m.inCookie,
		stored:      s.record.exists() && !whole,
		dirty:       s.edits.dirty() || whole,
		flashesRead: len(s.consumed) > 0,
		newTimeout:  s.timeout != s.savedTimeout,
		stale:       s.stale,
		closed:      s.life.cookieClosed(),
		now:         now,
		pendingTTL:  m.ttl(s.timeout),
		storedTTL:   m.ttl(s.savedTimeout),
		expires:     s.expires,
		refreshed:   s.refreshed,
	}
	if m.cfg.AbsoluteTimeout > 0 {
		in.limit = createdAt(s.fields).Add(m.cfg.AbsoluteTimeout)
	}
	p := planCommit(in)
	if p.err != nil {
		if s.firstLog(loggedLate) { // Save, then the late commit, fail alike
			m.cfg.Logger.ErrorContext(s.ctx, "vishnu: session changed after the response started; change not saved", "err", p.err)
		}
		return p.err
	}
	if p.write == writeNone && !p.cookie {
		return nil
	}
	timeout := s.savedTimeout
	if p.withData {
		timeout = s.timeout
	}
	return s.execute(p, timeout, explicit)
}

// execute carries out a plan.
func (s *Session) execute(p commitPlan, timeout time.Duration, explicit bool) error {
	m := s.m
	var refreshed []byte // fieldRefreshed, when a change must write it
	if p.cookie && !m.inCookie && s.userLocked() != "" {
		// A bound session's record says when its cookie was refreshed,
		// for Manager.UserSessions (see fieldRefreshed).
		v := binary.AppendVarint(nil, p.refreshed.Unix())
		s.fields[fieldRefreshed] = v
		if p.write != writeCreate && !p.refreshed.Equal(s.refreshed) {
			refreshed = v
			p.write = writeChange
		}
	}
	if p.write == writeCreate {
		// Every record written whole gets a token of its own: a new
		// session's, or the successor of a regenerated one.
		t, err := newToken()
		if err != nil {
			return fmt.Errorf("vishnu: new token: %w", err)
		}
		s.tok = t
		if !m.inCookie {
			s.id = t.storeID()
		}
	}

	var payload []byte
	var err error
	switch p.write {
	case writeCreate:
		payload = EncodeRecord(s.fields)
		if !m.inCookie {
			err = saveStored(s.ctx, m.cfg.Store, s.id, payload, p.expires)
		}
	case writeCookie:
		c := s.change(p.withData, p.expires)
		payload = s.payload
		if c.Replace || len(c.Set)+len(c.Delete) > 0 {
			payload, err = c.Apply(s.payload)
		}
	case writeChange, writeTouch:
		// Made here only: a Change handed to a store lives on the heap.
		c := s.change(p.withData, p.expires)
		// The expiry moves only when refreshed; the cookie carries the one
		// the record was last given.
		c.SameExpiry = p.expires.Equal(s.expires)
		if refreshed != nil {
			c.Set = append(c.Set, Field{fieldRefreshed, refreshed})
		}
		if p.write == writeChange {
			err = s.persist(&c)
		} else {
			err = s.touch(&c)
		}
	}
	if errors.Is(err, ErrNotFound) {
		m.cfg.Logger.InfoContext(s.ctx, "vishnu: session destroyed or expired before its changes were committed; changes dropped")
		s.startNew(m.cfg.Clock())
		if explicit {
			return ErrSessionGone
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("vishnu: save session: %w", err)
	}

	if p.cookie {
		if !m.inCookie {
			payload = nil // the record is in the store; the cookie holds the token
		}
		lines, err := m.sessionCookieLines(&s.tok, p.expires, p.refreshed, payload, timeout)
		if err != nil {
			return err // ErrCookieTooLarge included
		}
		s.outLine = lines
		s.expires, s.refreshed, s.stale = p.expires, p.refreshed, false
	}
	s.record.written()
	s.consumed = nil
	if m.inCookie {
		s.payload = payload
	}
	if p.withData {
		s.pending, s.savedTimeout = nil, s.timeout
		s.edits.clean()
	}
	return nil
}

// commitPoint runs the commit point once: it commits, closes the commit
// window and puts the cookie on the response. A commit point that panicked
// (a store or logger that panics) is not run again: the request that
// recovers from the panic gets the error response. late says the headers
// went out already: the window is closed before the commit, so that a
// change that needs a cookie fails with ErrHeadersWritten instead of
// setting a cookie nobody will see.
func (s *Session) commitPoint(late bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.life.window {
	case windowClosed, windowEnded:
		return s.commitErr
	case windowCommitting, windowLateCommit:
		s.life.closeWindow()
		s.commitErr = errCommitAborted
		return s.commitErr
	}
	s.life.beginCommit(late)
	err := s.commitLocked(false, false)
	if err == nil && s.state != nil {
		err = s.failure
	}
	s.commitErr = err
	s.life.closeWindow()
	if err == nil && !late {
		s.deliver() // tokensource.go
	}
	return err
}

// errCommitAborted is the commit point's result when it panicked.
var errCommitAborted = errors.New("vishnu: session commit interrupted by a panic")

// logUnsavedLocked says that changes were dropped because AutoSave is off
// and Save was not called: at Warn the first time for the Manager, since
// it is most likely a mistake of the application (and a silent one), and
// at Debug after that, so that a log is not flooded by it. Finish calls it
// once per request.
func (s *Session) logUnsavedLocked() {
	if !s.edits.dirty() || s.m.cfg.AutoSave {
		return
	}
	const msg = "vishnu: session changed but not saved, so the changes were dropped: call Session.Save, or set Config.AutoSave"
	if s.m.warnedUnsaved.CompareAndSwap(false, true) {
		s.m.cfg.Logger.WarnContext(s.ctx, msg)
		return
	}
	s.m.cfg.Logger.DebugContext(s.ctx, msg)
}

// change returns the Change that commits what this request did to a stored
// session: its application changes when withData is set, and always the
// flashes it read (unless set anew, which replaces them anyway).
func (s *Session) change(withData bool, expires time.Time) Change {
	c := Change{Create: !s.record.exists(), Expires: expires}
	if !s.record.exists() {
		return c // a new record is written whole
	}
	if withData {
		c.Replace = s.edits.replace()
		for k, v := range s.pending {
			if v == nil {
				c.Delete = append(c.Delete, k)
			} else {
				c.Set = append(c.Set, Field{k, v})
			}
		}
	}
	for _, k := range s.consumed {
		if _, changed := s.pending[k]; !withData || !changed {
			c.Delete = append(c.Delete, k)
		}
	}
	return c
}

// persist writes a change to an existing record in the strongest way the
// store offers: Commit when the store can merge atomically, and
// load-apply-save otherwise.
func (s *Session) persist(c *Change) error {
	m, id := s.m, s.id
	if m.committer != nil {
		return m.committer.Commit(s.ctx, id, c)
	}
	cur, err := m.cfg.Store.Load(s.ctx, id)
	if err != nil {
		return err // ErrNotFound included: the session is gone
	}
	rec, err := c.Apply(cur)
	if err != nil {
		return err
	}
	return m.cfg.Store.Save(s.ctx, id, rec, c.Expires)
}

// touch moves a stored record's expiry: with Touch where the store has it,
// else as an empty change.
func (s *Session) touch(c *Change) error {
	if s.m.toucher != nil {
		return s.m.toucher.Touch(s.ctx, s.id, c.Expires)
	}
	return s.persist(c)
}
