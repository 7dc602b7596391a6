package vishnu

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"strings"
	"sync/atomic"
)

// errResponseReplaced is what the handler's writes return once the session
// error response has been sent in place of its own.
var errResponseReplaced = errors.New("vishnu: response replaced by the session error response")

// Handler is the net/http middleware: it gives each request a Session,
// reachable with FromContext, and commits it just before the response
// headers are sent (on the first WriteHeader, Write, Flush, ReadFrom or
// Hijack, or when the handler returns), without buffering the body. If the
// session cannot be loaded or committed, the configured error response is
// sent instead of the handler's.
func (m *Manager) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// One allocation holds everything a request needs; a request that
		// never uses its session costs this and the request copy.
		rq := new(request)
		rq.ctx = sessionContext{Context: r.Context(), s: &rq.s}
		r = r.WithContext(&rq.ctx)
		rq.w = responseWriter{ResponseWriter: w, req: r, s: &rq.s}
		rq.s.init(m, &rq.ctx, (*httpTransport)(&rq.w))
		next.ServeHTTP(&rq.w, r)
		rq.w.finish()
	})
}

type request struct {
	s   Session
	w   responseWriter
	ctx sessionContext
}

// responseWriter commits the session before the headers go out. The session
// (from any goroutine of the request) asks through httpTransport whether the
// headers are gone, hence wrote is atomic.
type responseWriter struct {
	http.ResponseWriter
	req    *http.Request
	s      *Session
	wrote  atomic.Bool // the headers are sent, or about to be
	failed bool        // the error response was sent in place of the handler's

	cookies [1]string // room for the usual one cookie value, to save an allocation
}

var (
	_ http.Flusher  = (*responseWriter)(nil)
	_ http.Hijacker = (*responseWriter)(nil)
	_ io.ReaderFrom = (*responseWriter)(nil)
)

// commit runs the commit point once, and reports whether the handler's
// response may go out.
func (w *responseWriter) commit() bool {
	if w.wrote.Load() {
		return !w.failed
	}
	// Under the lock even for an unused session: a goroutine that starts to
	// use it now sees either the commit or the headers gone, never neither.
	s := w.s
	s.mu.Lock()
	err := s.commitLocked(false)
	w.wrote.Store(true)
	s.mu.Unlock()
	if err != nil {
		w.fail(err)
	}
	return !w.failed
}

func (w *responseWriter) fail(err error) {
	w.failed = true
	clear(w.ResponseWriter.Header()) // nothing of the handler's goes out
	w.s.m.HandleError(w.ResponseWriter, w.req, err)
}

// finish is the commit point for a handler that wrote nothing, and commits
// what can still be committed for one that changed the session afterwards.
func (w *responseWriter) finish() {
	if !w.wrote.Load() {
		w.commit()
		return
	}
	if w.failed || !w.s.used.Load() {
		return
	}
	s := w.s
	s.mu.Lock()
	err := s.commitLocked(false)
	s.mu.Unlock()
	if err != nil && !errors.Is(err, ErrHeadersWritten) { // that one is logged already
		s.m.cfg.Logger.ErrorContext(w.req.Context(), "vishnu: session commit after the response started failed", "err", err)
	}
}

func (w *responseWriter) WriteHeader(code int) {
	// Informational responses (103 Early Hints) precede the real headers.
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	if w.commit() {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.commit() {
		return 0, errResponseReplaced
	}
	return w.ResponseWriter.Write(p)
}

// Flush implements http.Flusher.
func (w *responseWriter) Flush() { _ = w.FlushError() }

// FlushError is what http.ResponseController calls to flush.
func (w *responseWriter) FlushError() error {
	if !w.commit() {
		return errResponseReplaced
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack implements http.Hijacker.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !w.commit() {
		return nil, nil, errResponseReplaced
	}
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// ReadFrom implements io.ReaderFrom, keeping sendfile and splice.
func (w *responseWriter) ReadFrom(r io.Reader) (int64, error) {
	if !w.commit() {
		return 0, errResponseReplaced
	}
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{w.ResponseWriter}, r)
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// httpTransport is the Transport of net/http requests.
type httpTransport responseWriter

func (t *httpTransport) Cookies(name string) []string {
	values := t.cookies[:0]
	for _, line := range t.req.Header["Cookie"] {
		for part := range strings.SplitSeq(line, ";") {
			n, v, ok := strings.Cut(textproto.TrimString(part), "=")
			if !ok || n != name {
				continue
			}
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			values = append(values, v)
		}
	}
	return values
}

func (t *httpTransport) SetCookie(c *http.Cookie) error {
	line := c.String()
	if line == "" {
		return errors.New("vishnu: invalid session cookie")
	}
	return t.setCookieLine(c.Name, line)
}

// setCookieLine sets a Set-Cookie header line, replacing one set earlier
// for the same cookie name.
func (t *httpTransport) setCookieLine(name, line string) error {
	if t.wrote.Load() {
		return ErrHeadersWritten
	}
	h := t.ResponseWriter.Header()
	old := h["Set-Cookie"]
	lines := old[:0:0]
	for _, l := range old {
		if len(l) <= len(name) || l[len(name)] != '=' || l[:len(name)] != name {
			lines = append(lines, l)
		}
	}
	h["Set-Cookie"] = append(lines, line)
	return nil
}

func (t *httpTransport) HeadersWritten() bool { return t.wrote.Load() }
