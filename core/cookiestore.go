package vishnu

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// NewCookieStore returns the store that keeps each session's data in its
// cookie instead of on the server: nothing to run, nothing to clean up, with
// the default options (see CookieStoreOptions). Set Config.EncryptKey with
// it, or the data is readable (though not forgeable) by the client.
//
// Size: a browser keeps 4096 bytes per cookie (name, value and attributes
// together), so a session larger than one cookie is split over numbered
// cookies (the cookie's name, then "name.1", "name.2" and so on), up to
// CookieStoreOptions.MaxCookies in all; a larger session makes Save (or
// the commit) fail with ErrCookieTooLarge. The cookies are written, replaced
// and deleted together: the first names how many there are, and the value
// is signed (and encrypted) once, whole, before it is split, so a missing,
// altered, reordered or stale cookie makes the whole session invalid ("no
// session"), never a mix of two writes. Every cookie goes in every
// request's Cookie header: at the default of 4 cookies that header may
// reach 16 KB, past what some proxies accept (see MaxCookies).
//
// What a cookie cannot do: Destroy expires the cookies, but a copy of the
// old ones stays valid until its expiry, and two concurrent requests that
// change the session each send a whole session, so the last one wins.
//
// The store is only a marker for Config.Store; its methods are not meant to
// be called and return an error.
func NewCookieStore() Store { return &cookieStore{opts: defaultCookieStoreOptions} }

// CookieStoreOptions configures NewCookieStoreWithOptions.
type CookieStoreOptions struct {
	// MaxCookies is how many cookies one session may take, from 1 to 8:
	// past one, the session is split into numbered cookies. Each takes
	// up to 4096 bytes of every request's Cookie header, which many
	// proxies and servers cap: nginx at 8 KB per header line by default
	// (large_client_header_buffers), Apache at 8190 bytes
	// (LimitRequestFieldSize), fasthttp (under fiber) at 4 KB for all
	// headers (ReadBufferSize), Go's net/http at 1 MB for all headers: keep
	// MaxCookies within what every server on the way accepts, or raise
	// their limits. Optional. Default is 4.
	MaxCookies int

	// Compress compresses the session's data (DEFLATE) before it is
	// encrypted, when that makes it smaller. It is off by default because
	// it makes the cookie's length depend on its content: when a session
	// holds a secret (a CSRF token, an OAuth state) beside data an
	// attacker can choose (a search term kept in the session), an attacker
	// who can make the victim's browser send requests and watch the size of
	// its encrypted traffic can learn the secret a byte at a time, as in
	// the CRIME and BREACH attacks. Turn it on for sessions that hold no
	// such mix. Optional. Default is false.
	Compress bool
}

// maxCookiesLimit is the most cookies one session may take: 32 KB of
// Cookie header, already past what common proxies accept.
const maxCookiesLimit = 8

var defaultCookieStoreOptions = CookieStoreOptions{MaxCookies: 4}

// NewCookieStoreWithOptions returns the cookie store (see NewCookieStore)
// configured by o.
func NewCookieStoreWithOptions(o CookieStoreOptions) (Store, error) {
	if o.MaxCookies == 0 {
		o.MaxCookies = defaultCookieStoreOptions.MaxCookies
	}
	if o.MaxCookies < 1 || o.MaxCookies > maxCookiesLimit {
		return nil, fmt.Errorf("vishnu: CookieStoreOptions.MaxCookies must be between 1 and %d, got %d", maxCookiesLimit, o.MaxCookies)
	}
	return &cookieStore{opts: o}, nil
}

type cookieStore struct {
	opts CookieStoreOptions
}

var errCookieStore = errors.New("vishnu: the cookie store keeps data in the session cookie and is used only as Config.Store")

func (*cookieStore) Load(context.Context, string) ([]byte, error) { return nil, errCookieStore }
func (*cookieStore) Save(context.Context, string, []byte, time.Time) error {
	return errCookieStore
}
func (*cookieStore) Delete(context.Context, string) error { return errCookieStore }
