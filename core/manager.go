package vishnu

import (
	"context"
	"net/http"
	"time"
)

// Manager holds a validated Config and hands out sessions. It is safe for
// concurrent use; make one per cookie name at start-up and share it.
type Manager struct {
	cfg       Config
	codec     *codec
	inCookie  bool      // the cookie store: data travels in the cookie
	committer Committer // nil when the store lacks the capability
	toucher   Toucher   // likewise
}

// New validates cfg and returns a Manager. Every configuration mistake is
// reported here, as a *ConfigError naming the field, never at request time.
func New(cfg Config) (*Manager, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	secrets := append([][]byte{cfg.Secret}, cfg.PreviousSecrets...)
	var keys [][]byte
	if cfg.EncryptKey != nil {
		keys = append([][]byte{cfg.EncryptKey}, cfg.PreviousEncryptKeys...)
	}
	c, err := newCodec(cfg.Cookie.Name, secrets, keys)
	if err != nil {
		return nil, err
	}
	m := &Manager{cfg: cfg, codec: c}
	if _, ok := cfg.Store.(*cookieStore); ok {
		m.inCookie = true
		if keys == nil {
			cfg.Logger.Warn("vishnu: the cookie store without EncryptKey keeps session data readable (though not forgeable) by the client")
		}
	}
	m.committer, _ = cfg.Store.(Committer)
	m.toucher, _ = cfg.Store.(Toucher)
	return m, nil
}

// Transport is how a session reaches the cookie of the request it belongs
// to. The net/http middleware provides one; an adapter for a framework that
// is not built on net/http implements it and calls Open and Commit.
type Transport interface {
	// Cookies returns the values of the request's cookies with this name
	// (a browser may send several).
	Cookies(name string) []string
	// SetCookie sets c on the response, replacing a cookie of the same
	// name set earlier in this response. It returns ErrHeadersWritten when
	// the response headers have been sent.
	SetCookie(c *http.Cookie) error
	// HeadersWritten reports whether the response headers have been sent.
	HeadersWritten() bool
}

// Open returns the session of one request. Nothing is read (not even the
// cookie) until the session is first used. ctx is used for store calls.
func (m *Manager) Open(ctx context.Context, t Transport) *Session {
	s := new(Session)
	s.init(m, ctx, t)
	return s
}

// Commit is the commit point of a request: adapters call it just before the
// response headers are sent. It persists the session if AutoSave is on and
// it changed, refreshes its expiry when due, and sets the cookie. An error
// means the request must get the error response instead of its own.
// Calling it after the headers were sent commits what still can be.
func (m *Manager) Commit(s *Session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commitLocked(false)
}

// HandleError writes the configured error response for err, after logging it.
func (m *Manager) HandleError(w http.ResponseWriter, r *http.Request, err error) {
	m.cfg.Logger.ErrorContext(r.Context(), "vishnu: session unavailable", "err", err)
	m.cfg.ErrorHandler(w, r, err)
}

// CookieName returns the name of m's cookie.
func (m *Manager) CookieName() string { return m.cfg.Cookie.Name }

// ttl is how long the server keeps a session with this timeout unused.
func (m *Manager) ttl(timeout time.Duration) time.Duration {
	if timeout == UntilBrowserCloses {
		return m.cfg.BrowserSessionTimeout
	}
	return timeout
}

// cookie returns the cookie for a session value that expires at expires.
// An empty value makes a cookie that deletes the session cookie.
func (m *Manager) cookie(value string, timeout time.Duration, expires time.Time) *http.Cookie {
	cc := &m.cfg.Cookie
	c := &http.Cookie{
		Name:        cc.Name,
		Value:       value,
		Path:        cc.Path,
		Domain:      cc.Domain,
		Secure:      !cc.Insecure,
		HttpOnly:    !cc.ScriptReadable,
		SameSite:    cc.SameSite,
		Partitioned: cc.Partitioned,
	}
	switch {
	case value == "":
		c.MaxAge = -1
		c.Expires = time.Unix(1, 0)
	case timeout != UntilBrowserCloses:
		c.Expires = expires.UTC()
		c.MaxAge = max(1, int(expires.Sub(m.cfg.Clock()).Round(time.Second)/time.Second))
	}
	return c
}
