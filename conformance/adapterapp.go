package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// app is the suite's application, served through the adapter under test.
// Its routes, chosen by the last element of the request path:
//
//	noop         never touches the session
//	get          shows the session
//	set          sets each query parameter (values are strings)
//	delete       deletes each key named by a k parameter
//	flash        sets each query parameter as a flash
//	pop          pops the flash named by k
//	timeout      sets the session's timeout to d seconds (0: until the browser closes)
//	regenerate   regenerates the session
//	destroy      destroys the session
//	stream       sets each query parameter, then streams three chunks
//	empty        sets each query parameter, then writes nothing (a nil Response)
//	status       sets each query parameter, then answers 204 and nothing else
//	fail         sets each query parameter, then fails with status 422 (Response.ErrorStatus)
//	hook         runs the case's hook
//
// Parameters starting with an underscore are not session values: _save=1
// makes set, delete, flash, timeout, empty, status and fail call Save. For
// stream, _sse=1 sends the chunks as server-sent events, _flushfirst=1
// flushes before anything is written, and _late=k sets k to "late" once the
// client has the first chunk, reporting how that went in a last chunk.
// Every other route answers with the JSON of a view.
type app struct {
	hook   func(s *vishnu.Session, r *Request) *Response
	stream *stream
}

// view is what the routes answer: the session as the handler saw it after
// its work, and the error of that work, if any.
type view struct {
	New     bool              `json:"new"`
	Values  map[string]string `json:"values"`
	Timeout int64             `json:"timeout"` // seconds
	Flash   *string           `json:"flash,omitempty"`
	Err     string            `json:"err,omitempty"`
}

const noSessionBody = "conformance: the harness passed a nil session to the Handler"

func (a *app) handle(s *vishnu.Session, r *Request) *Response {
	if s == nil {
		return &Response{Status: http.StatusInternalServerError, Body: []byte(noSessionBody)}
	}
	route := path.Base(r.Path)
	if route == "noop" {
		return &Response{Body: []byte("untouched")}
	}
	var err error
	var flash *string
	save := r.Query.Get("_save") == "1"
	switch route {
	case "get":
	case "set", "stream", "empty", "status", "fail":
		for k, v := range params(r) {
			if err = s.Set(k, v); err != nil {
				break
			}
		}
	case "delete":
		for _, k := range r.Query["k"] {
			s.Delete(k)
		}
	case "flash":
		for k, v := range params(r) {
			if err = s.Flash(k, v); err != nil {
				break
			}
		}
	case "pop":
		if v, ok := vishnu.PopFlash[string](s, r.Query.Get("k")); ok {
			flash = &v
		}
	case "timeout":
		var d int
		if d, err = strconv.Atoi(r.Query.Get("d")); err == nil {
			err = s.SetTimeout(time.Duration(d) * time.Second)
		}
	case "regenerate":
		err = s.Regenerate()
	case "destroy":
		err = s.Destroy()
	case "hook":
		if a.hook != nil {
			return a.hook(s, r)
		}
		return &Response{Status: http.StatusNotFound, Body: []byte("conformance: no hook in this case")}
	default:
		return &Response{Status: http.StatusNotFound, Body: []byte("conformance: no route " + route)}
	}
	if err == nil && save {
		err = s.Save()
	}
	switch {
	case err != nil:
	case route == "stream" && a.stream != nil:
		return a.stream.response(s, r)
	case route == "empty":
		return nil
	case route == "status":
		return &Response{Status: http.StatusNoContent}
	case route == "fail":
		return &Response{ErrorStatus: failStatus}
	}
	return viewResponse(s, flash, err)
}

// params returns the query parameters that are session values.
func params(r *Request) map[string]string {
	m := make(map[string]string)
	for k, v := range r.Query {
		if !strings.HasPrefix(k, "_") && len(v) > 0 {
			m[k] = v[0]
		}
	}
	return m
}

func viewResponse(s *vishnu.Session, flash *string, err error) *Response {
	v := view{New: s.IsNew(), Values: map[string]string{}, Timeout: int64(s.Timeout() / time.Second), Flash: flash}
	for _, k := range s.Keys() {
		if x, ok := vishnu.Get[string](s, k); ok {
			v.Values[k] = x
		} else {
			v.Values[k] = "(not a string)"
		}
	}
	switch {
	case err == nil:
	case errors.Is(err, vishnu.ErrSessionGone):
		v.Err = errSessionGone
	default:
		v.Err = err.Error()
	}
	b, _ := json.Marshal(v)
	return &Response{Header: http.Header{"Content-Type": {"application/json"}}, Body: b}
}

// errSessionGone stands for vishnu.ErrSessionGone in a view.
const errSessionGone = "session-gone"

// failStatus is the status of the fail route's error.
const failStatus = http.StatusUnprocessableEntity

// errHeadersWritten stands for vishnu.ErrHeadersWritten in a stream's last
// chunk.
const errHeadersWritten = "headers-written"

// stream is the streaming route's state: it sends three chunks, each only
// once the client has received the one before, which a buffered response
// never lets it do.
type stream struct {
	ack      chan struct{} // the client received a chunk
	buffered atomic.Bool   // a chunk was not received in time
	wait     time.Duration
}

const (
	streamHead = "streamed:\n"
	sseHead    = ": streamed\n\n"
)

func streamChunk(i int) string { return fmt.Sprintf("chunk %d\n", i) }

func sseChunk(i int) string { return fmt.Sprintf("data: chunk %d\n\n", i) }

// lateChunk is the last chunk of a stream that changed its session late.
func lateChunk(outcome string) string { return "late: " + outcome + "\n" }

func (st *stream) response(s *vishnu.Session, r *Request) *Response {
	sse, late := r.Query.Get("_sse") == "1", r.Query.Get("_late")
	chunks := make(chan []byte)
	go func() {
		defer close(chunks)
		for i := range 3 {
			chunk := streamChunk(i)
			if sse {
				chunk = sseChunk(i)
			}
			select {
			case chunks <- []byte(chunk):
			case <-time.After(st.wait):
				return // the harness stopped reading
			}
			if !st.buffered.Load() { // waiting again would only slow the case down
				select {
				case <-st.ack:
				case <-time.After(st.wait):
					st.buffered.Store(true)
				}
			}
			if i == 0 && late != "" {
				outcome := "ok"
				if err := s.Set(late, "late"); errors.Is(err, vishnu.ErrHeadersWritten) {
					outcome = errHeadersWritten
				} else if err != nil {
					outcome = err.Error()
				}
				defer func() {
					select {
					case chunks <- []byte(lateChunk(outcome)):
					case <-time.After(st.wait):
					}
				}()
			}
		}
	}()
	resp := &Response{Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte(streamHead), Chunks: chunks}
	if sse {
		resp.Header = http.Header{"Content-Type": {"text/event-stream"}, "Cache-Control": {"no-cache"}}
		resp.Body = []byte(sseHead)
	}
	resp.FlushFirst = r.Query.Get("_flushfirst") == "1"
	return resp
}
