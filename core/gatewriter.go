package vishnu

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

// GateWriter is the response writer of an adapter on net/http: it takes
// the place of the writer below while the handler runs, and passes every
// way the response can go out (WriteHeader, Write, Flush, Hijack,
// ReadFrom) through its Gate, letting it through only once the commit
// point did. An informational WriteHeader (IsInformational) passes without
// committing. Its Header is the one below, so that the session's cookie
// goes where the headers really go out. Make it with Adapter.NewWriter.
//
// An adapter embeds it in its own writer to add what its framework needs,
// and reaches the Gate's methods through it (State, Replace, Unwind...).
//
// It is used as any http.ResponseWriter is: by one goroutine at a time.
type GateWriter struct {
	http.ResponseWriter // the writer below
	Gate

	// refused is the adapter's answer to a write the gate refuses.
	refused func(w *GateWriter, err error) error
}

var (
	_ http.Flusher  = (*GateWriter)(nil)
	_ http.Hijacker = (*GateWriter)(nil)
	_ io.ReaderFrom = (*GateWriter)(nil)
)

// NewWriter returns the writer that stands in for w while the handler of
// the request whose session is s runs; its Gate is NewGate(s, w.Header()),
// so make it before the handler runs.
//
// refused is called on every write (or flush, hijack...) that the gate
// refuses, with the commit's error, and returns the error that the write
// returns. It sends the error response at once (ReplaceNow) while the state
// is GateFailed, or leaves it for when the handler returns. A nil refused
// returns the commit's error as it is.
func (a Adapter) NewWriter(w http.ResponseWriter, s *Session, refused func(w *GateWriter, err error) error) GateWriter {
	return GateWriter{ResponseWriter: w, Gate: a.NewGate(s, w.Header()), refused: refused}
}

// Commit runs the commit point once (Gate.Commit), and returns nil when
// the handler's response may go out; otherwise it returns what refused
// (see Adapter.NewWriter) makes of the commit's error.
func (w *GateWriter) Commit() error {
	err := w.Gate.Commit()
	if err == nil || w.refused == nil {
		return err
	}
	return w.refused(w, err)
}

// ReplaceNow sends the error response of the failed commit at once, on the
// writer below (see Gate.Replace), and returns its status and the number
// of body bytes written. Call it only once Commit failed.
func (w *GateWriter) ReplaceNow() (status, n int) {
	resp := w.Replace(w.ResponseWriter.Header(), false)
	w.ResponseWriter.WriteHeader(resp.Status)
	n, _ = w.ResponseWriter.Write(resp.Body) // the client went away: nothing else to do
	return resp.Status, n
}

// WriteHeader implements http.ResponseWriter.
func (w *GateWriter) WriteHeader(code int) {
	// Informational responses (103 Early Hints) precede the real headers.
	if IsInformational(code) {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	if w.Commit() == nil {
		w.ResponseWriter.WriteHeader(code)
	}
}

// Write implements http.ResponseWriter.
func (w *GateWriter) Write(p []byte) (int, error) {
	if err := w.Commit(); err != nil {
		return 0, err
	}
	return w.ResponseWriter.Write(p)
}

// Flush implements http.Flusher.
func (w *GateWriter) Flush() { _ = w.FlushError() }

// FlushError is what http.ResponseController calls to flush: a flush
// before any write sends the headers, and so commits.
func (w *GateWriter) FlushError() error {
	if err := w.Commit(); err != nil {
		return err
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack implements http.Hijacker. The session is committed first, so that
// the cookie is in Header() for a handshake that writes it (as websocket
// libraries write the headers they are given).
func (w *GateWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if err := w.Commit(); err != nil {
		return nil, nil, err
	}
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// ReadFrom implements io.ReaderFrom, keeping sendfile and splice for those
// that copy into this writer.
func (w *GateWriter) ReadFrom(r io.Reader) (int64, error) {
	if err := w.Commit(); err != nil {
		return 0, err
	}
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{w.ResponseWriter}, r)
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *GateWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
