package vishnu

// A session's state is held in three small values, each changed only by the
// named transitions below, as net/http holds a connection's ConnState:
//
//   - lifecycle (on the Session): where the request stands with its
//     session: whether the session has been read, and where the commit
//     window is;
//   - recordState (once read): whether a record backs the session, and
//     whether it was made in this request;
//   - editState (once read): what the request changed that is not yet
//     committed.
//
// A transition asked of a state it does not apply to changes nothing and
// reports false: the callers never ask one, and a mistake must not turn
// into a panic at request time. state_test.go tables every transition over
// every state.

// readState says whether the session has been read from its cookie and
// the store.
type readState uint8

const (
	// unread: not used yet. A request that never uses its session stays
	// here and costs nothing.
	unread readState = iota
	// readOK: read, whether a session was found or a new one started.
	readOK
	// readFailed: the store failed. Every method reports it (loadErr), and
	// the request gets the error response, so that nobody is logged out.
	readFailed
)

// window is where the commit window stands: the session's cookie can be
// set only while it is open.
type window uint8

const (
	// windowOpen: before the commit point.
	windowOpen window = iota
	// windowCommitting: the commit point runs. Seen by a later call only
	// when the commit point panicked.
	windowCommitting
	// windowLateCommit: the commit point runs after the headers went out
	// (Gate.CommitLate, HeadersSentReporter): no cookie can be set.
	windowLateCommit
	// windowClosed: the commit point is over (commitErr is its result). No
	// cookie can be set; a change that needs none is still kept (Save, the
	// late commit of Finish).
	windowClosed
	// windowEnded: the request is over (Finish): no change can be kept.
	windowEnded
)

// lifecycle is where a session stands in its request. Its two parts move
// independently (a session first used after the commit point is read with
// its window closed), so the value holds both, and each transition moves
// one of them.
type lifecycle struct {
	read   readState
	window window
}

// loaded records the outcome of the first read: unread → readOK, or
// readFailed when ok is false.
func (l *lifecycle) loaded(ok bool) bool {
	if l.read != unread {
		return false
	}
	l.read = readOK
	if !ok {
		l.read = readFailed
	}
	return true
}

// unreadable is readOK → readFailed: a failed Regenerate could not read the
// session back from the store.
func (l *lifecycle) unreadable() bool {
	if l.read != readOK {
		return false
	}
	l.read = readFailed
	return true
}

// beginCommit is windowOpen → windowCommitting, or → windowLateCommit when
// the headers went out already.
func (l *lifecycle) beginCommit(late bool) bool {
	if l.window != windowOpen {
		return false
	}
	l.window = windowCommitting
	if late {
		l.window = windowLateCommit
	}
	return true
}

// closeWindow is windowCommitting or windowLateCommit → windowClosed: the
// commit point is over, or was abandoned by a panic.
func (l *lifecycle) closeWindow() bool {
	if l.window != windowCommitting && l.window != windowLateCommit {
		return false
	}
	l.window = windowClosed
	return true
}

// end is any window → windowEnded: Finish.
func (l *lifecycle) end() bool {
	if l.window == windowEnded {
		return false
	}
	l.window = windowEnded
	return true
}

// used reports whether the session was read (or tried to be).
func (l lifecycle) used() bool { return l.read != unread }

// cookieClosed reports whether the session's cookie can no longer be set.
func (l lifecycle) cookieClosed() bool {
	return l.window == windowLateCommit || l.window >= windowClosed
}

// recordState says whether a record backs the session. For the cookie
// store, the record is the cookie.
type recordState uint8

const (
	// recordNone: no record. No valid session came with the request, or
	// it was destroyed (or found gone) in this request.
	recordNone recordState = iota
	// recordCreated: a record written in this request for a new session.
	recordCreated
	// recordStored: the record the request's cookie named, or the one
	// that replaced it at Regenerate.
	recordStored
)

// found is recordNone → recordStored: the request's cookie named a live
// record.
func (r *recordState) found() bool {
	if *r != recordNone {
		return false
	}
	*r = recordStored
	return true
}

// written is recordNone → recordCreated, once a new record is written. A
// record that exists stays as it is (Regenerate writes its successor).
func (r *recordState) written() bool {
	if *r != recordNone {
		return false
	}
	*r = recordCreated
	return true
}

// dropped is any → recordNone: the session was destroyed, or found gone.
func (r *recordState) dropped() bool {
	if *r == recordNone {
		return false
	}
	*r = recordNone
	return true
}

// exists reports whether a record backs the session.
func (r recordState) exists() bool { return r != recordNone }

// isNew reports whether the session was not one the request came with.
func (r recordState) isNew() bool { return r != recordStored }

// editState says what the request changed that is not committed yet.
// Flashes read are apart (state.consumed): their deletion is committed
// even without AutoSave.
type editState uint8

const (
	// editsNone: nothing changed since the last commit.
	editsNone editState = iota
	// editsSome: fields were set or deleted (in pending, for a record that
	// exists; a new record is written whole).
	editsSome
	// editsCleared: Clear. The record is replaced by the fields in pending.
	editsCleared
)

// edited is editsNone → editsSome. A cleared session stays cleared: later
// changes apply to the cleared record.
func (e *editState) edited() bool {
	if *e != editsNone {
		return false
	}
	*e = editsSome
	return true
}

// cleared is any → editsCleared.
func (e *editState) cleared() bool {
	if *e == editsCleared {
		return false
	}
	*e = editsCleared
	return true
}

// clean is any → editsNone: the changes were committed, or dropped.
func (e *editState) clean() bool {
	if *e == editsNone {
		return false
	}
	*e = editsNone
	return true
}

// dirty reports whether there are changes to commit.
func (e editState) dirty() bool { return e != editsNone }

// replace reports whether the commit replaces the whole record.
func (e editState) replace() bool { return e == editsCleared }

// logOnce names the messages a session logs at most once: a request can
// meet the same condition several times (Save, then the late commit).
type logOnce uint8

const (
	loggedEnded logOnce = 1 << iota // a change after the request ended
	loggedLate                      // a change that could not be delivered
)
