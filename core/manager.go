package vishnu

import (
	"context"
	"net/http"
	"strconv"
	"strings"
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

	cookieAttrs string // "; Path=/; HttpOnly; Secure; SameSite=Lax", and so on
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
	// The attributes that every cookie carries, formatted by net/http once.
	const probe = "x"
	line := m.cookie(probe, UntilBrowserCloses, time.Time{}).String()
	m.cookieAttrs = strings.TrimPrefix(line, cfg.Cookie.Name+"="+probe)
	if cfg.Cookie.Domain != "" && !strings.Contains(m.cookieAttrs, "; Domain=") {
		return nil, configErr("Cookie.Domain", "%q is not a valid cookie domain", cfg.Cookie.Domain)
	}
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

// sendCookie sets the session cookie with this value on the response; an
// empty value deletes it. On net/http the header line is written directly:
// the attributes were formatted (and checked) once by New.
func (s *Session) sendCookie(value string, timeout time.Duration, expires time.Time) error {
	m := s.m
	if t, ok := s.t.(*httpTransport); ok {
		return t.setCookieLine(m.cfg.Cookie.Name, m.cookieLine(value, timeout, expires))
	}
	return s.t.SetCookie(m.cookie(value, timeout, expires))
}

// cookieLine formats the Set-Cookie line that m.cookie describes.
func (m *Manager) cookieLine(value string, timeout time.Duration, expires time.Time) string {
	var b strings.Builder
	b.Grow(len(m.cfg.Cookie.Name) + len(value) + len(m.cookieAttrs) + 80)
	b.WriteString(m.cfg.Cookie.Name)
	b.WriteByte('=')
	b.WriteString(value)
	var buf [32]byte
	switch {
	case value == "":
		b.WriteString("; Expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0")
	case timeout != UntilBrowserCloses:
		b.WriteString("; Expires=")
		b.Write(expires.UTC().AppendFormat(buf[:0], http.TimeFormat))
		b.WriteString("; Max-Age=")
		b.Write(strconv.AppendInt(buf[:0], int64(m.maxAge(expires)), 10))
	}
	b.WriteString(m.cookieAttrs)
	return b.String()
}

// maxAge is the Max-Age of a cookie that expires at expires: at least one
// second, since 0 would delete it.
func (m *Manager) maxAge(expires time.Time) int {
	return max(1, int(expires.Sub(m.cfg.Clock()).Round(time.Second)/time.Second))
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
		c.MaxAge = m.maxAge(expires)
	}
	return c
}
