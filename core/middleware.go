package vishnu

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
)

// errResponseReplaced is what the handler's writes return once the session
// error response has been sent in place of its own.
var errResponseReplaced = errors.New("vishnu: response replaced by the session error response")

// Handler is the net/http middleware: it gives each request a Session,
// reachable with FromContext, and commits it just before the response
// headers are sent (on the first WriteHeader, Write, Flush, ReadFrom or
// Hijack, or when the handler returns), without buffering the body. If the
// session cannot be loaded or committed, the configured error response is
// sent instead of the handler's: the headers the handler set are dropped,
// those set before the middleware ran (by outer middleware) are kept.
func (m *Manager) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// One allocation holds everything a request needs; a request that
		// never uses its session costs this and the request copy.
		rq := new(request)
		rq.open(m, w, r)
		rq.w = responseWriter{ResponseWriter: w, s: &rq.s}
		if h := w.Header(); len(h) > 0 {
			rq.w.outer = h.Clone()
		}
		next.ServeHTTP(&rq.w, r.WithContext(&rq.ctx))
		rq.w.finish()
	})
}

type request struct {
	httpSession
	w responseWriter
}

// responseWriter runs the commit point before the headers go out. It is
// used by the handler's goroutines as any http.ResponseWriter is: by one
// at a time.
type responseWriter struct {
	http.ResponseWriter
	s         *Session
	outer     http.Header // the headers set before the middleware ran
	committed bool        // the commit point has run
	failed    bool        // the error response was sent in place of the handler's
}

var (
	_ http.Flusher  = (*responseWriter)(nil)
	_ http.Hijacker = (*responseWriter)(nil)
	_ io.ReaderFrom = (*responseWriter)(nil)
)

// commit runs the commit point once, and reports whether the handler's
// response may go out.
func (w *responseWriter) commit() bool {
	if w.committed {
		return !w.failed
	}
	// Marked only once Commit returns: if it panics, the write of a
	// recovering middleware commits again, and gets the error response.
	err := w.s.m.Commit(w.s)
	w.committed = true
	if err != nil {
		w.fail(err)
	}
	return !w.failed
}

// fail sends the error response in place of the handler's: none of the
// handler's headers go out, but those of outer middleware (HSTS, CSP) do.
func (w *responseWriter) fail(err error) {
	w.failed = true
	h := w.ResponseWriter.Header()
	clear(h)
	for k, v := range w.outer {
		h[k] = v
	}
	writeErrorResponse(w.ResponseWriter, w.s.m.ErrorResponse(w.s, err))
}

// finish is the commit point for a handler that wrote nothing, and commits
// what can still be committed for one that changed the session afterwards.
func (w *responseWriter) finish() {
	if !w.committed {
		w.commit()
	}
	w.s.m.Finish(w.s)
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
