package vishnu

import (
	"errors"
	"fmt"
	"time"
)

// commitLocked makes the session durable: it is called at the commit point
// of the request (explicit false: application changes are written only with
// AutoSave) and by Save (explicit true). It writes nothing when nothing
// changed, and refreshes expiry only once a tenth of the session's lifetime
// has passed since the last refresh, so that a busy session is not rewritten
// on every request.
func (s *Session) commitLocked(explicit bool) error {
	if !s.loaded {
		return nil // never used in this request
	}
	if s.loadErr != nil {
		return s.loadErr
	}
	m := s.m
	writeData := s.dirty && (explicit || m.cfg.AutoSave)
	hasChange := writeData || len(s.consumed) > 0
	if !s.stored && !writeData {
		return nil // a new session that holds nothing worth keeping
	}

	// Expiry follows the timeout that will be stored: an unsaved
	// SetTimeout moves nothing.
	timeout, newTO := s.savedTimeout, false
	if writeData {
		timeout, newTO = s.timeout, s.timeout != s.savedTimeout
	}
	now := m.cfg.Clock()
	ttl := m.ttl(timeout)
	expires := now.Add(ttl)
	if m.cfg.AbsoluteTimeout > 0 {
		if limit := createdAt(s.fields).Add(m.cfg.AbsoluteTimeout); expires.After(limit) {
			expires = limit
		}
	}
	// Refresh once a tenth of the lifetime has passed since the last time,
	// or at once when the cookie outlives what the timeout now allows.
	refresh := !s.stored || newTO || expires.Sub(s.expires) > ttl/10 || s.expires.After(expires)
	sendCookie := refresh || s.stale || (m.inCookie && hasChange)
	if sendCookie && s.t.HeadersWritten() {
		if !s.stored || (m.inCookie && hasChange) {
			if !s.lateLogged { // Save, then the commit at the end, fail alike
				s.lateLogged = true
				m.cfg.Logger.ErrorContext(s.ctx, "vishnu: session changed after the response started; change not saved", "err", ErrHeadersWritten)
			}
			return ErrHeadersWritten
		}
		// The record can still be written, and its expiry brought forward
		// if the timeout was shortened; the cookie waits for a later
		// request, which refreshes both.
		refresh, sendCookie = expires.Before(s.expires), false
	}
	if !refresh {
		expires = s.expires
	}
	if !hasChange && !refresh && !sendCookie {
		return nil
	}

	c := s.change(writeData, expires)
	if !s.hasTok {
		t, err := newToken()
		if err != nil {
			return fmt.Errorf("vishnu: new token: %w", err)
		}
		s.tok, s.hasTok = t, true
		if !m.inCookie {
			s.id = t.storeID()
		}
	}

	var payload []byte
	var err error
	switch {
	case !s.stored:
		payload = EncodeRecord(s.fields)
		if !m.inCookie {
			err = m.cfg.Store.Save(s.ctx, s.id, payload, expires)
		}
	case m.inCookie && hasChange:
		payload, err = c.Apply(s.payload)
	case m.inCookie:
		payload = s.payload
	case hasChange || refresh:
		err = s.persist(&c, hasChange)
	}
	if errors.Is(err, ErrNotFound) {
		m.cfg.Logger.InfoContext(s.ctx, "vishnu: session destroyed or expired before its changes were committed; changes dropped")
		s.startNew(now)
		if explicit {
			return ErrSessionGone
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("vishnu: save session: %w", err)
	}

	if sendCookie {
		if !m.inCookie {
			payload = nil // the record is in the store; the cookie holds the token
		}
		v, err := m.codec.encode(&s.tok, expires, payload)
		if err != nil {
			return fmt.Errorf("vishnu: encode cookie: %w", err)
		}
		if m.inCookie && len(m.cfg.Cookie.Name)+1+len(v) > maxCookieBytes {
			return fmt.Errorf("%w: %d bytes", ErrCookieTooLarge, len(m.cfg.Cookie.Name)+1+len(v))
		}
		if err := s.sendCookie(v, timeout, expires); err != nil {
			return err
		}
		s.expires, s.stale = expires, false
	}
	s.stored, s.consumed = true, nil
	if m.inCookie {
		s.payload = payload
	}
	if writeData {
		s.pending, s.replace, s.dirty, s.savedTimeout = nil, false, false, s.timeout
	}
	return nil
}

// change returns the Change that commits what this request did to a stored
// session: its application changes when writeData is set, and always the
// flashes it read (unless set anew, which replaces them anyway).
func (s *Session) change(writeData bool, expires time.Time) Change {
	c := Change{Create: !s.stored, Expires: expires}
	if !s.stored {
		return c // a new record is written whole
	}
	if writeData {
		c.Replace = s.replace
		for k, v := range s.pending {
			if v == nil {
				c.Delete = append(c.Delete, k)
			} else {
				c.Set = append(c.Set, Field{k, v})
			}
		}
	}
	for _, k := range s.consumed {
		if _, changed := s.pending[k]; !writeData || !changed {
			c.Delete = append(c.Delete, k)
		}
	}
	return c
}

// persist writes a change to an existing record in the strongest way the
// store offers: Touch when only the expiry moves, Commit when the store can
// merge atomically, and load-apply-save otherwise.
func (s *Session) persist(c *Change, hasChange bool) error {
	m, id := s.m, s.id
	if !hasChange && m.toucher != nil {
		return m.toucher.Touch(s.ctx, id, c.Expires)
	}
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
