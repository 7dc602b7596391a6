package vishnu

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
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

	cookieAttrs string      // "; Path=/; HttpOnly; Secure; SameSite=Lax", and so on
	warnedPlain atomic.Bool // the Secure-cookie-over-plain-HTTP warning was logged
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

// Open returns the session of one request, which reaches the request through
// t. Nothing is read (not even the cookie) until the session is first used.
// ctx is used for store calls; put the session in the context the handler
// sees with NewContext. Core's net/http middleware does all of this itself;
// Open is for adapters (see Transport).
func (m *Manager) Open(ctx context.Context, t Transport) *Session {
	s := new(Session)
	s.init(m, ctx, t)
	return s
}

// Commit is the commit point of a request: an adapter calls it just before
// the response headers are sent, on the goroutine that sends them. It
// persists the session if AutoSave is on and it changed, refreshes its
// expiry when due, and sets the session cookie (with Vary: Cookie and a
// private Cache-Control) through the session's Transport.
//
// From then on, a change that would need a new cookie fails with
// ErrHeadersWritten, whatever the Transport. Only the first call commits;
// later calls return its result.
//
// An error means the request must be answered with m.ErrorResponse(s, err)
// instead of the handler's response; nothing was set on the response.
func (m *Manager) Commit(s *Session) error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commitPointLocked()
}

// Finish ends a request after its handler has returned: it persists the
// changes made after the commit point that need no cookie (with AutoSave),
// and logs those that could not be kept. Adapters call it last, after
// Commit; it never changes the response.
//
// After Finish, every change to the session fails with ErrRequestEnded.
func (m *Manager) Finish(s *Session) {
	if s == nil {
		return
	}
	// Set before used is read: a goroutine that starts to use the session
	// now either is seen as using it (and waited for below) or sees ended.
	s.ended.Store(true)
	if !s.used.Load() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed || s.commitErr != nil {
		return // Commit not called, or the error response went out
	}
	if err := s.commitLocked(false); err != nil && !errors.Is(err, ErrHeadersWritten) { // that one is logged already
		m.cfg.Logger.ErrorContext(s.ctx, "vishnu: session commit after the response started failed", "err", err)
	}
	s.logUnsavedLocked()
}

// ErrorResponse is the response sent in place of the handler's when the
// session could not be loaded or committed (see Config.ErrorResponse).
type ErrorResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// ErrorResponse logs err and returns the response to send for it in place
// of the handler's: the configured one (Config.ErrorResponse), with a
// Cache-Control of no-store and the session's pending cookie (such as the
// deletion cookie of a logout, which goes out even when the request fails)
// added. s may be nil. Adapters send it through their framework's own error
// path, without the headers the handler set.
func (m *Manager) ErrorResponse(s *Session, err error) ErrorResponse {
	if s == nil {
		return m.errorResponse(context.Background(), err, "")
	}
	s.mu.Lock()
	line := s.outLine
	s.mu.Unlock()
	return m.errorResponse(s.ctx, err, line)
}

func (m *Manager) errorResponse(ctx context.Context, err error, cookieLine string) ErrorResponse {
	m.cfg.Logger.ErrorContext(ctx, "vishnu: session unavailable", "err", err)
	resp := m.cfg.ErrorResponse(ctx, err)
	if resp.Status < 100 || resp.Status > 999 {
		resp.Status = http.StatusInternalServerError
	}
	resp.Header = resp.Header.Clone()
	if resp.Header == nil {
		resp.Header = make(http.Header)
	}
	resp.Header.Set("Cache-Control", "no-store")
	if cookieLine != "" {
		resp.Header.Add("Set-Cookie", cookieLine)
		resp.Header.Add("Vary", "Cookie")
	}
	return resp
}

// HandleError writes m's error response for err to w: a handler on net/http
// calls it when a session method fails and it has no better answer of its
// own. (The session's cookie, if any, is set by the middleware as usual.)
func (m *Manager) HandleError(w http.ResponseWriter, r *http.Request, err error) {
	writeErrorResponse(w, m.errorResponse(r.Context(), err, ""))
}

// writeErrorResponse writes resp to w. Its Set-Cookie and Vary lines are
// added to those already set; its other headers replace theirs.
func writeErrorResponse(w http.ResponseWriter, resp ErrorResponse) {
	h := w.Header()
	for k, v := range resp.Header {
		if k == "Set-Cookie" || k == "Vary" {
			h[k] = append(h[k], v...)
		} else {
			h[k] = append([]string(nil), v...)
		}
	}
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
