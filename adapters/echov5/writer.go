package vishnuechov5

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/labstack/echo/v5"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// ErrResponseReplaced is what the writes, flushes and hijacks of a response
// return once its session could not be committed: the error response is
// sent in its place, and nothing of the handler's goes out. The error
// returned also wraps the session's error.
var ErrResponseReplaced = errors.New("vishnuechov5: response replaced by the session error response")

// writer takes the place of the ResponseWriter under echo's Response (the
// one echo.UnwrapResponse reaches from c.Response()) while the middleware
// runs, so that the commit point runs before anything goes out, whichever
// way it goes: echo's Response.WriteHeader and Write (every c.String,
// c.JSON, c.Stream, c.NoContent, c.Redirect...), Response.Flush (which sends
// the headers without calling WriteHeader, and so without echo's Before
// hooks), Response.Hijack, and the writes of middleware that wrap
// c.Response() in turn (Gzip, BodyDump), inside the session middleware or
// around it. Its Header is the one below, so that the session's cookie goes
// where the headers really go out. The commit-once state is core's
// vishnu.Gate.
//
// It is used as any http.ResponseWriter is: by one goroutine at a time.
type writer struct {
	http.ResponseWriter // the writer below: echo's Response.ResponseWriter when the middleware ran

	res  *echo.Response
	a    vishnu.Adapter
	s    *vishnu.Session
	gate vishnu.Gate
}

var (
	_ http.Flusher  = (*writer)(nil)
	_ http.Hijacker = (*writer)(nil)
)

// commit runs the commit point once, and returns nil when the handler's
// response may go out. A failed commit's error response is sent when the
// handler returns (end), or at once after a panic (unwind).
func (w *writer) commit() error {
	if err := w.gate.Commit(); err != nil {
		return fmt.Errorf("%w: %w", ErrResponseReplaced, err)
	}
	return nil
}

// unwind runs when the middleware returns or a panic unwinds it. After a
// panic that left the session uncommitted, nothing is committed: as on
// net/http, where the server aborts such a request, the session stays as it
// was, and the page a recovering middleware writes goes out as it is. After
// one that followed a failed commit, the error response is sent at once:
// the middleware will not get to it, and a recovering middleware outside
// would otherwise answer with what is left of the handler's response.
func (w *writer) unwind() {
	if w.gate.Unwind() {
		w.sendNow()
	}
}

// sendNow sends the configured error response at once, below echo's
// Response, which it then marks as committed, so that echo's error handler
// writes nothing after it. It is the answer of last resort, after a panic:
// the handler chain is gone, so Options.ErrorHandler cannot run.
func (w *writer) sendNow() {
	resp := w.gate.Replace(w.ResponseWriter.Header(), false)
	w.ResponseWriter.WriteHeader(resp.Status)
	n, _ := w.ResponseWriter.Write(resp.Body)
	w.res.Committed, w.res.Status, w.res.Size = true, resp.Status, int64(n)
}

func (w *writer) WriteHeader(code int) {
	// Informational responses (103 Early Hints) precede the real headers.
	if vishnu.IsInformational(code) {
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
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }
