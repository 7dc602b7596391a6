package vishnuecho

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// ErrResponseReplaced is what the writes, flushes and hijacks of a response
// return once its session could not be committed: the error response is
// sent in its place, and nothing of the handler's goes out. The error
// returned also wraps the session's error.
var ErrResponseReplaced = errors.New("vishnuecho: response replaced by the session error response")

// writeState is where a response stands with regard to its commit point.
type writeState uint8

const (
	pending   writeState = iota // the commit point has not run: nothing has gone out
	committed                   // committed: the handler's response goes out
	failed                      // the commit failed: the handler's response is discarded, the error response is due
	replaced                    // the error response went out
	abandoned                   // the handler panicked before anything went out: nothing is committed
)

// writer takes the place of c.Response().Writer while the middleware runs,
// so that the commit point runs before anything goes out, whichever way it
// goes: echo's Response.WriteHeader and Write (every c.String, c.JSON,
// c.Stream, c.NoContent, c.Redirect...), Response.Flush (which sends the
// headers without calling WriteHeader, and so without echo's Before hooks),
// Response.Hijack, and the writes of middleware that wrap the writer in
// turn (Gzip, BodyDump, Timeout). Its Header is the one below, so that the
// session's cookie goes where the headers really go out.
//
// It is used as any http.ResponseWriter is: by one goroutine at a time.
type writer struct {
	http.ResponseWriter // the writer below: c.Response().Writer when the middleware ran

	res   *echo.Response
	m     *vishnu.Manager
	s     *vishnu.Session
	outer http.Header // the headers set before the middleware ran; nil when there were none
	err   error       // the commit's error, once it failed

	state    writeState
	hijacked bool
}

var (
	_ http.Flusher  = (*writer)(nil)
	_ http.Hijacker = (*writer)(nil)
	_ io.ReaderFrom = (*writer)(nil)
)

// commit runs the commit point once, and returns nil when the handler's
// response may go out.
func (w *writer) commit() error {
	switch w.state {
	case committed, abandoned:
		return nil
	case failed, replaced:
		return w.replacedErr()
	}
	// Marked only once Commit returns: if it panics, nothing is committed
	// (see unwind).
	err := w.m.Commit(w.s)
	if err == nil {
		w.state = committed
		return nil
	}
	w.state, w.err = failed, err
	return w.replacedErr()
}

// unwind runs when the middleware returns or a panic unwinds it. After a
// panic that left the session uncommitted, nothing is committed: as on
// net/http, where the server aborts such a request, the session stays as it
// was, and the page a recovering middleware writes goes out as it is. After
// one that followed a failed commit, the error response is sent at once:
// the middleware will not get to it, and a recovering middleware outside
// would otherwise answer with what is left of the handler's response.
func (w *writer) unwind() {
	switch w.state {
	case pending:
		w.state = abandoned
	case failed:
		w.sendNow()
	}
}

func (w *writer) replacedErr() error { return fmt.Errorf("%w: %w", ErrResponseReplaced, w.err) }

// sendNow sends the configured error response at once, below echo's
// Response, which it then marks as committed, so that echo's error handler
// writes nothing after it. It is the answer of last resort, after a panic:
// the handler chain is gone, so Options.ErrorHandler cannot run.
func (w *writer) sendNow() {
	w.state = replaced
	resp := w.m.ErrorResponse(w.s, w.err)
	h := w.ResponseWriter.Header()
	w.dropHandlerHeaders(h)
	addErrorHeaders(h, resp.Header, false)
	setLength(h, resp.Body)
	w.ResponseWriter.WriteHeader(resp.Status)
	n, _ := w.ResponseWriter.Write(resp.Body)
	w.res.Committed, w.res.Status, w.res.Size = true, resp.Status, int64(n)
}

// setLength sets the Content-Length of an error response whose header has
// none, so that nothing written after it by mistake reaches the client.
func setLength(h http.Header, body []byte) {
	if _, ok := h["Content-Length"]; !ok {
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
}

// dropHandlerHeaders leaves in h only the headers set before the middleware
// ran.
func (w *writer) dropHandlerHeaders(h http.Header) {
	clear(h)
	for k, v := range w.outer {
		h[k] = v
	}
}

// addErrorHeaders adds the error response's headers to h, as core's
// net/http middleware does: its Set-Cookie and Vary lines are added to
// those of outer middleware, its other headers replace theirs. With
// sessionOnly, only the headers of the session itself are added (the
// pending cookie, Vary and Cache-Control), for an ErrorHandler that writes
// its own response.
func addErrorHeaders(h, from http.Header, sessionOnly bool) {
	for k, v := range from {
		switch k {
		case "Set-Cookie", "Vary":
			h[k] = append(h[k], v...)
		case "Cache-Control":
			h[k] = append([]string(nil), v...)
		default:
			if !sessionOnly {
				h[k] = append([]string(nil), v...)
			}
		}
	}
}

func (w *writer) WriteHeader(code int) {
	// Informational responses (103 Early Hints) precede the real headers.
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	if w.commit() == nil {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *writer) Write(p []byte) (int, error) {
	if err := w.commit(); err != nil {
		return 0, err
	}
	return w.ResponseWriter.Write(p)
}

// Flush implements http.Flusher.
func (w *writer) Flush() { _ = w.FlushError() }

// FlushError is what http.ResponseController (and so echo's Response.Flush)
// calls to flush: a flush before any write sends the headers.
func (w *writer) FlushError() error {
	if err := w.commit(); err != nil {
		return err
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack implements http.Hijacker. The session is committed first, so that
// the cookie is in Header() for a handshake that writes it (as websocket
// libraries write the headers they are given).
func (w *writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if err := w.commit(); err != nil {
		return nil, nil, err
	}
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.hijacked = true
	}
	return conn, rw, err
}

// ReadFrom implements io.ReaderFrom, keeping sendfile and splice for writers
// that copy into this one.
func (w *writer) ReadFrom(r io.Reader) (int64, error) {
	if err := w.commit(); err != nil {
		return 0, err
	}
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{w.ResponseWriter}, r)
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }
