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
//
// It panics when m is nil: at start-up, where the middleware is made, never
// at request time.
func (m *Manager) Handler(next http.Handler) http.Handler {
	if m == nil {
		panic("vishnu: Manager.Handler called on a nil *Manager")
	}
	a := m.Adapter()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// One allocation holds everything a request needs; a request that
		// never uses its session costs this and the request copy.
		rq := new(request)
		rq.open(m, w, r)
		rq.w = responseWriter{ResponseWriter: w, gate: a.NewGate(&rq.s, w.Header())}
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
	gate Gate
}

var (
	_ http.Flusher  = (*responseWriter)(nil)
	_ http.Hijacker = (*responseWriter)(nil)
	_ io.ReaderFrom = (*responseWriter)(nil)
)

// commit runs the commit point once, and reports whether the handler's
// response may go out. When the commit fails, the error response is sent
// at once in place of the handler's.
func (w *responseWriter) commit() bool {
	pending := w.gate.State() == GatePending
	err := w.gate.Commit()
	if err != nil && pending {
		resp := w.gate.Replace(w.ResponseWriter.Header(), false)
		w.ResponseWriter.WriteHeader(resp.Status)
		_, _ = w.ResponseWriter.Write(resp.Body)
	}
	return err == nil
}

// finish is the commit point for a handler that wrote nothing, and commits
// what can still be committed for one that changed the session afterwards.
func (w *responseWriter) finish() {
	if w.gate.State() == GatePending {
		w.commit()
	}
	w.gate.s.m.Adapter().Finish(w.gate.s)
}

func (w *responseWriter) WriteHeader(code int) {
	// Informational responses (103 Early Hints) precede the real headers.
	if IsInformational(code) {
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
