package vishnu

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// UntilBrowserCloses is the timeout of a session whose cookie lasts until the
// browser is closed (a cookie without Max-Age). It is the default. The
// server still forgets such a session after Config.BrowserSessionTimeout of
// inactivity, since it cannot see the browser close.
const UntilBrowserCloses time.Duration = 0

// MaxTimeout is the longest timeout a session may have: browsers keep a
// cookie 400 days at most.
const MaxTimeout = 400 * 24 * time.Hour

// MinSecretLen is the least number of bytes in a secret or an encryption key.
const MinSecretLen = 32

// Config configures a Manager. Store and Secret are required; every other
// field is optional and its zero value means the default given beside it.
type Config struct {
	// Store keeps session data. Required: NewMemoryStore for development,
	// NewCookieStore to keep data in the cookie, or any Store.
	Store Store

	// Secret signs cookies (HMAC-SHA256). Required, at least 32 bytes; use
	// 32 random bytes. PreviousSecrets are still accepted when verifying,
	// so that a secret can be rotated: put the old one here, and cookies
	// signed with it are re-issued under Secret.
	Secret          []byte
	PreviousSecrets [][]byte

	// EncryptKey, when set, encrypts cookies with AES-256-GCM (with a key
	// derived from it), so that their content cannot be read. At least 32
	// bytes. PreviousEncryptKeys are accepted when decrypting, for rotation.
	// Optional. Default is sign-only cookies, which for server-side stores
	// reveal nothing but a random token.
	EncryptKey          []byte
	PreviousEncryptKeys [][]byte

	// Cookie sets the cookie's name and attributes.
	Cookie CookieConfig

	// Token says where session tokens travel: the cookie, a request
	// header, or both (see TokenConfig). Optional. Default is the cookie.
	Token TokenConfig

	// Timeout is how long a session lives without being used; each use
	// pushes its expiry back (see Session.SetTimeout). Only requests that
	// use the session count: one that never touches it reads nothing and so
	// refreshes nothing. Optional. Default is UntilBrowserCloses.
	Timeout time.Duration

	// BrowserSessionTimeout is how long the server keeps an unused session
	// whose timeout is UntilBrowserCloses. Optional. Default is 24 hours.
	BrowserSessionTimeout time.Duration

	// AbsoluteTimeout ends every session that long after it was created,
	// however active it is. Optional. Default is 0, no absolute limit.
	AbsoluteTimeout time.Duration

	// AutoSave persists changed sessions when the response starts. When
	// false, only Session.Save persists, and changes made without it are
	// dropped, never silently: the first time, the Manager logs a warning
	// that says so, and at Debug level after that. Optional. Default is
	// false.
	AutoSave bool

	// ErrorResponse returns the response sent in place of the handler's
	// when the session could not be loaded or committed (the store is down,
	// the cookie-store data is too large, a logout could not be recorded),
	// for every framework alike; ctx is the request's. It may be called
	// concurrently. An adapter may offer a hook of its framework's own
	// types beside it. Optional. Default is a plain-text 500 Internal
	// Server Error.
	ErrorResponse func(ctx context.Context, err error) ErrorResponse

	// UserStamp returns a stamp of user that changes when all of user's
	// sessions must end: when the password changed, for instance (its
	// change time, or its hash), or a counter the application advances for
	// "sign out everywhere". Login records it (as a MAC keyed by Secret,
	// never as it is) and a bound session whose user's stamp changed is
	// ended on its next request (Session.EndedElsewhere). It is what lets
	// EndUserSessions work with the cookie store, which keeps nothing on
	// the server; with any other store it adds to what the store does. It
	// is called once for each request that uses a bound session, so it
	// must be cheap (a cached lookup), and with the request's context; an
	// error is answered like a store failure (the error response), not by
	// a logout. Sessions bound before it was set are ended on their next
	// request. Optional. Default is none.
	UserStamp func(ctx context.Context, user string) ([]byte, error)

	// ClientIP returns the client's IP address of a net/http request, which
	// Login records (UserSession.IP; at most MaxClientIPLen bytes). Behind
	// a proxy, return the address the proxy reports, taken from the header
	// that proxy sets and only from it. Adapters of frameworks not built on
	// net/http give it a net/http view of their request (ClientReporter).
	// Optional. Default is RemoteIP, the host of the connection's peer.
	ClientIP func(r *http.Request) string

	// MaxSessionsPerUser caps how many sessions a user may have: a Login
	// beyond it ends the user's sessions that logged in first, so that the
	// user keeps this many. It needs a store with a UserIndex (New says so
	// otherwise). Optional. Default is 0, no cap.
	MaxSessionsPerUser int

	// Logger receives diagnostics: rejected cookies at Debug level, store
	// failures at Error level. Optional. Default is slog.Default().
	Logger *slog.Logger

	// Clock returns the current time. Optional. Default is time.Now; tests
	// set it to move time.
	Clock func() time.Time
}

// CookieConfig holds the session cookie's name and attributes. The zero
// value is a cookie named "vishnu", Path "/", Secure, HttpOnly, SameSite=Lax.
type CookieConfig struct {
	// Name of the cookie. Optional. Default is "vishnu". A name starting
	// with "__Host-" requires a Secure cookie with Path "/" and no Domain;
	// "__Secure-" requires a Secure cookie. Both are checked by New.
	Name string

	// Domain attribute. Optional. Default is none (host-only cookie).
	Domain string

	// Path attribute. Optional. Default is "/".
	Path string

	// Insecure drops the Secure attribute, for plain-HTTP development.
	// Optional. Default is false: cookies are Secure.
	Insecure bool

	// ScriptReadable drops the HttpOnly attribute. Optional. Default is
	// false: cookies are HttpOnly.
	ScriptReadable bool

	// SameSite attribute. Optional. Default (0) is http.SameSiteLaxMode;
	// http.SameSiteDefaultMode sends no SameSite attribute; SameSiteNoneMode
	// requires a Secure cookie.
	SameSite http.SameSite

	// Partitioned sets the Partitioned attribute (CHIPS); it requires a
	// Secure cookie.
	Partitioned bool
}

// ConfigError reports an invalid Config field.
type ConfigError struct {
	Field  string // e.g. "Secret" or "Cookie.Name"
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("vishnu: invalid Config.%s: %s", e.Field, e.Reason)
}

func configErr(field, format string, args ...any) error {
	return &ConfigError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// withDefaults validates c and returns a copy with defaults filled in.
func (c Config) withDefaults() (Config, error) {
	if c.Store == nil {
		return c, configErr("Store", "required (vishnu.NewMemoryStore() for development)")
	}
	if len(c.Secret) < MinSecretLen {
		return c, configErr("Secret", "must be at least %d bytes, got %d", MinSecretLen, len(c.Secret))
	}
	for i, s := range c.PreviousSecrets {
		if len(s) < MinSecretLen {
			return c, configErr(fmt.Sprintf("PreviousSecrets[%d]", i), "must be at least %d bytes, got %d", MinSecretLen, len(s))
		}
	}
	if c.EncryptKey != nil && len(c.EncryptKey) < MinSecretLen {
		return c, configErr("EncryptKey", "must be at least %d bytes, got %d", MinSecretLen, len(c.EncryptKey))
	}
	if len(c.PreviousEncryptKeys) > 0 && c.EncryptKey == nil {
		return c, configErr("PreviousEncryptKeys", "set without EncryptKey")
	}
	for i, k := range c.PreviousEncryptKeys {
		if len(k) < MinSecretLen {
			return c, configErr(fmt.Sprintf("PreviousEncryptKeys[%d]", i), "must be at least %d bytes, got %d", MinSecretLen, len(k))
		}
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"Timeout", c.Timeout}, {"BrowserSessionTimeout", c.BrowserSessionTimeout}, {"AbsoluteTimeout", c.AbsoluteTimeout}} {
		if d.v < 0 {
			return c, configErr(d.field, "must not be negative, got %v", d.v)
		}
		if d.v > 0 && d.v < time.Second {
			return c, configErr(d.field, "must be at least one second (cookie expiry has one-second resolution), got %v", d.v)
		}
		if d.v > MaxTimeout {
			return c, configErr(d.field, "must be at most MaxTimeout (400 days, the longest a browser keeps a cookie), got %v", d.v)
		}
	}
	if c.MaxSessionsPerUser < 0 {
		return c, configErr("MaxSessionsPerUser", "must not be negative, got %d", c.MaxSessionsPerUser)
	}
	if _, indexed := c.Store.(UserIndex); c.MaxSessionsPerUser > 0 && !indexed {
		return c, configErr("MaxSessionsPerUser", "needs a store that lists a user's sessions (a UserIndex), which %T is not", c.Store)
	}
	if c.ClientIP == nil {
		c.ClientIP = RemoteIP
	}
	if c.BrowserSessionTimeout == 0 {
		c.BrowserSessionTimeout = 24 * time.Hour
	}
	if c.ErrorResponse == nil {
		c.ErrorResponse = defaultErrorResponse
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	var err error
	if c.Token, err = c.Token.withDefaults(c.Store, c.Cookie); err != nil {
		return c, err
	}
	c.Cookie, err = c.Cookie.withDefaults()
	return c, err
}

func (c CookieConfig) withDefaults() (CookieConfig, error) {
	if c.Name == "" {
		c.Name = "vishnu"
	}
	if c.Path == "" {
		c.Path = "/"
	}
	if c.SameSite == 0 {
		c.SameSite = http.SameSiteLaxMode
	}
	if !validCookieName(c.Name) {
		return c, configErr("Cookie.Name", "%q is not a valid cookie name (RFC 6265 token)", c.Name)
	}
	if !validCookiePath(c.Path) {
		return c, configErr("Cookie.Path", "%q must start with / and hold only printable ASCII other than ';' (net/http would drop the rest, widening the cookie)", c.Path)
	}
	if strings.ContainsAny(c.Domain, "; \t\x00\r\n") {
		return c, configErr("Cookie.Domain", "%q is not a valid domain", c.Domain)
	}
	secureNeeded := func(why string) error {
		return configErr("Cookie.Insecure", "must be false: %s requires a Secure cookie", why)
	}
	switch {
	case c.Insecure && c.SameSite == http.SameSiteNoneMode:
		return c, secureNeeded("SameSite=None")
	case c.Insecure && c.Partitioned:
		return c, secureNeeded("Partitioned")
	case c.Insecure && hasPrefixFold(c.Name, "__Secure-"):
		return c, secureNeeded("the __Secure- prefix")
	case hasPrefixFold(c.Name, "__Host-"):
		if c.Insecure {
			return c, secureNeeded("the __Host- prefix")
		}
		if c.Domain != "" {
			return c, configErr("Cookie.Domain", "must be empty with the __Host- prefix")
		}
		if c.Path != "/" {
			return c, configErr("Cookie.Path", "must be / with the __Host- prefix")
		}
	}
	return c, nil
}

// hasPrefixFold reports whether s starts with prefix, ignoring case, as
// browsers match the cookie name prefixes.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// validCookiePath reports whether net/http sends path as it is.
func validCookiePath(path string) bool {
	for i := 0; i < len(path); i++ {
		if b := path[i]; b < 0x20 || b >= 0x7f || b == ';' {
			return false
		}
	}
	return strings.HasPrefix(path, "/")
}

// validCookieName reports whether name is an RFC 6265 token.
func validCookieName(name string) bool {
	for i := 0; i < len(name); i++ {
		ch := name[i]
		if ch <= ' ' || ch >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, ch) >= 0 {
			return false
		}
	}
	return name != ""
}

func defaultErrorResponse(context.Context, error) ErrorResponse {
	return ErrorResponse{
		Status: http.StatusInternalServerError,
		Header: http.Header{
			"Content-Type":           {"text/plain; charset=utf-8"},
			"X-Content-Type-Options": {"nosniff"},
		},
		Body: []byte(http.StatusText(http.StatusInternalServerError) + "\n"),
	}
}
