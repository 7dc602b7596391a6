package vishnugin

import (
	"bufio"
	"errors"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// errResponseReplaced is what the handler's writes return once the session
// error response has been sent in place of its own.
var errResponseReplaced = errors.New("vishnugin: response replaced by the session error response")

// writer is the gin.ResponseWriter the middleware puts in c.Writer. It runs
// the commit point just before the headers really go out: gin's own writer
// only records the status in WriteHeader, and sends the headers in
// WriteHeaderNow, the first Write or WriteString, Flush, or Hijack. Every
// gin helper (c.String, c.JSON, c.Render, c.Status with AbortWithStatus,
// c.Redirect, c.Stream, c.SSEvent, c.File, c.DataFromReader) ends in one of
// those. The body is never buffered.
//
// Status, Size, Written, CloseNotify and Pusher are gin's: once the error
// response went out in place of the handler's, Status is its status, which
// is what gin.Logger shows.
//
// It is used as any gin.ResponseWriter is, by one goroutine at a time.
type writer struct {
	gin.ResponseWriter // gin's writer (or an outer middleware's), as the middleware got it

	c       *gin.Context
	a       vishnu.Adapter
	req     *http.Request // the request as the middleware got it
	onError func(*gin.Context, error)
	gate    vishnu.Gate
}

var _ gin.ResponseWriter = (*writer)(nil)

// commit runs the commit point once, and reports whether the handler's
// response may go out. When the commit fails, the error response is sent
// at once in place of the handler's.
func (w *writer) commit() bool {
	pending := w.gate.State() == vishnu.GatePending
	err := w.gate.Commit()
	if err != nil && pending {
		w.fail(err)
	}
	return err == nil
}

// WriteHeader records the status, as gin's does; nothing goes out yet.
// Once the error response was sent, the handler's status is ignored.
func (w *writer) WriteHeader(code int) {
	if w.gate.State() == vishnu.GateReplaced {
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

// WriteHeaderNow sends the headers: AbortWithStatus, a Render of a status
// without a body (204, 304), and websocket libraries that write their 101
// through gin come here.
func (w *writer) WriteHeaderNow() {
	if w.commit() {
		w.ResponseWriter.WriteHeaderNow()
	}
}

func (w *writer) Write(p []byte) (int, error) {
	if !w.commit() {
		return 0, errResponseReplaced
	}
	return w.ResponseWriter.Write(p)
}

// WriteString is what c.String and io.WriteString call.
func (w *writer) WriteString(s string) (int, error) {
	if !w.commit() {
		return 0, errResponseReplaced
	}
	return w.ResponseWriter.WriteString(s)
}

// Flush implements http.Flusher; c.Stream and c.SSEvent flush.
func (w *writer) Flush() {
	if w.commit() {
		w.ResponseWriter.Flush()
	}
}

// Hijack implements http.Hijacker. The commit runs first, so that the
// session is saved and its cookie is in c.Writer.Header() for the
// application (or its websocket library) to send with its own response.
func (w *writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !w.commit() {
		return nil, nil, errResponseReplaced
	}
	return w.ResponseWriter.Hijack()
}

// Unwrap lets http.ResponseController reach the server's writer (for
// deadlines); it finds Flush and Hijack here first.
func (w *writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }
