package vishnu

import "errors"

var (
	// ErrHeadersWritten is returned when a change needs a new cookie but the
	// response headers have already been sent, so the cookie can no longer
	// be delivered. The change is not made (Save); Regenerate and Login
	// also drop the request's unsaved changes (see Regenerate); for
	// Destroy, the record is deleted but the browser keeps a dead cookie.
	ErrHeadersWritten = errors.New("vishnu: response headers already sent; the session cookie cannot be delivered")

	// ErrRequestEnded is returned by a change made to a session after its
	// request ended (from a goroutine that outlived the handler, say):
	// nothing would commit it. Delete and Clear, which return nothing, log
	// it. The headers are gone too, so errors.Is(err, ErrHeadersWritten)
	// holds for it.
	ErrRequestEnded error = requestEndedError{}

	// ErrSessionGone is returned by Save when the session was destroyed (or
	// expired) by the time its changes were committed. The changes are
	// dropped, so a logout is never undone by a request that was in flight.
	ErrSessionGone = errors.New("vishnu: session was destroyed or expired meanwhile")

	// ErrCookieTooLarge is returned when the cookie store would need more
	// cookies of 4096 bytes than CookieStoreOptions.MaxCookies allows to
	// hold the session.
	ErrCookieTooLarge = errors.New("vishnu: session data exceeds the cookie store's size limit")

	// ErrInvalidKey is returned by Set and Flash for an empty key or a key
	// starting with a NUL byte (reserved for Vishnu's own fields).
	ErrInvalidKey = errors.New("vishnu: invalid session key")

	// ErrNoSession is returned by Save, Regenerate and Destroy called on a
	// nil *Session, which is what FromContext returns outside the middleware.
	ErrNoSession = errors.New("vishnu: no session in this context; is the middleware installed?")
)

type requestEndedError struct{}

func (requestEndedError) Error() string {
	return "vishnu: the session's request has ended; the change cannot be saved"
}

func (requestEndedError) Is(target error) bool { return target == ErrHeadersWritten }
