package vishnu

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Manager holds a validated Config and hands out sessions. It is safe for
// concurrent use; make one per cookie name at start-up and share it.
//
// An application installs its middleware (Handler, or a framework
// adapter's), reaches the session with FromContext, and manages a user's
// sessions with UserSessions and EndUserSessions. What only framework
// adapters call is on Adapter.
type Manager struct {
	cfg       Config
	codec     *codec
	inCookie  bool         // the cookie store: data travels in the cookie
	chunks    *chunkLayout // the cookie store's cookies; nil for other stores
	committer Committer    // nil when the store lacks the capability
	toucher   Toucher      // likewise
	// How a user's sessions are listed and ended (see usergeneration.go):
	// index is nil for the cookie store and stores without one;
	// generations is used only by a store without an index; tombstones
	// says that ended sessions leave a mark in the store.
	index       UserIndex
	generations UserGenerations
	tombstones  bool
	stampHashes sync.Pool // HMAC-SHA256 keyed by Secret, for Config.UserStamp

	cookieAttrs string      // "; Path=/; HttpOnly; Secure; SameSite=Lax", and so on
	warnedPlain atomic.Bool // the Secure-cookie-over-plain-HTTP warning was logged
	// warnedUnsaved: the warning that a change was never saved was logged.
	warnedUnsaved atomic.Bool
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
	attrs, ok := m.formatAttrs()
	if !ok {
		return nil, configErr("Cookie", "net/http would alter Path %q or Domain %q; the cookie would not be the one configured", cfg.Cookie.Path, cfg.Cookie.Domain)
	}
	m.cookieAttrs = attrs
	if cs, ok := cfg.Store.(*cookieStore); ok {
		m.inCookie = true
		if m.chunks, err = m.newChunkLayout(cs.opts); err != nil {
			return nil, err
		}
		if keys == nil {
			cfg.Logger.Warn("vishnu: the cookie store without EncryptKey keeps session data readable (though not forgeable) by the client")
		}
	}
	m.committer, _ = cfg.Store.(Committer)
	m.toucher, _ = cfg.Store.(Toucher)
	m.stampHashes.New = func() any { return hmac.New(sha256.New, cfg.Secret) }
	if !m.inCookie {
		m.index, _ = cfg.Store.(UserIndex)
		if m.index == nil {
			m.generations, _ = cfg.Store.(UserGenerations)
		}
		m.tombstones = m.index != nil || m.generations != nil
	}
	return m, nil
}

// HandleError writes m's error response for err to w: a handler on net/http
// calls it when a session method fails and it has no better answer of its
// own. (The session's cookie, if any, is set by the middleware as usual.)
func (m *Manager) HandleError(w http.ResponseWriter, r *http.Request, err error) {
	writeErrorResponse(w, m.errorResponse(r.Context(), err, ""))
}

// writeErrorResponse writes resp to w, its headers merged with those
// already set (see ErrorResponse.MergeHeader).
func writeErrorResponse(w http.ResponseWriter, resp ErrorResponse) {
	resp.MergeHeader(w.Header(), false)
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
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
