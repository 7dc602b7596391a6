package vishnu

import (
	"context"
	"errors"
	"time"
)

// NewCookieStore returns the store that keeps each session's data in its
// cookie instead of on the server: nothing to run, nothing to clean up. Set
// Config.EncryptKey with it, or the data is readable (though not forgeable)
// by the client. The cookie (name and value) must fit in 4096 bytes, so
// this suits a few small values; a larger session makes Save (or the
// commit) fail with ErrCookieTooLarge.
//
// What a cookie cannot do: Destroy expires the cookie, but a copy of the old
// cookie stays valid until its expiry, and two concurrent requests that
// change the session each send a whole cookie, so the last one wins.
//
// The store is only a marker for Config.Store; its methods are not meant to
// be called and return an error.
func NewCookieStore() Store { return &cookieStore{} }

type cookieStore struct{}

var errCookieStore = errors.New("vishnu: the cookie store keeps data in the session cookie and is used only as Config.Store")

func (*cookieStore) Load(context.Context, string) ([]byte, error) { return nil, errCookieStore }
func (*cookieStore) Save(context.Context, string, []byte, time.Time) error {
	return errCookieStore
}
func (*cookieStore) Delete(context.Context, string) error { return errCookieStore }
