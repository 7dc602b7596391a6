package vishnuechov5

import (
	"errors"
	"fmt"

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
// around it. core's vishnu.GateWriter does that; this adds what echo's
// Response needs.
//
// It is used as any http.ResponseWriter is: by one goroutine at a time.
type writer struct {
	vishnu.GateWriter // over echo's Response.ResponseWriter when the middleware ran

	res *echo.Response
	a   vishnu.Adapter
	s   *vishnu.Session
}

// refused is the answer to a write the gate refuses: a failed commit's
// error response is sent when the handler returns (end), or at once after
// a panic (unwind).
func refused(_ *vishnu.GateWriter, err error) error {
	return fmt.Errorf("%w: %w", ErrResponseReplaced, err)
}

// unwind runs when the middleware returns or a panic unwinds it. After a
// panic that left the session uncommitted, nothing is committed: as on
// net/http, where the server aborts such a request, the session stays as it
// was, and the page a recovering middleware writes goes out as it is. After
// one that followed a failed commit, the error response is sent at once:
// the middleware will not get to it, and a recovering middleware outside
// would otherwise answer with what is left of the handler's response.
func (w *writer) unwind() {
	if w.Unwind() {
		w.sendNow()
	}
}

// sendNow sends the configured error response at once, below echo's
// Response, which it then marks as committed, so that echo's error handler
// writes nothing after it. It is the answer of last resort, after a panic:
// the handler chain is gone, so Options.ErrorHandler cannot run.
func (w *writer) sendNow() {
	status, n := w.ReplaceNow()
	w.res.Committed, w.res.Status, w.res.Size = true, status, int64(n)
}
