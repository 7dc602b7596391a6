package vishnuchi_test

import (
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// net/http's TimeoutHandler is the writer wrapper that cannot keep the
// commit point's promises: it buffers the whole response, and on timeout
// answers from its own goroutine while the handler's goroutine goes on.
// These tests show that what it breaks fails with an error the handler
// sees, never as a change that looks kept and is not.

func timeoutHandler(h http.Handler) http.Handler {
	return http.TimeoutHandler(h, 100*time.Millisecond, "timed out")
}

// TestTimeoutHandlerCannotStream: nothing can be streamed through it, on
// either side of the session middleware; the handler's Flush says so.
func TestTimeoutHandlerCannotStream(t *testing.T) {
	for _, side := range sides {
		t.Run(side.name, func(t *testing.T) {
			m := newManager(t, nil, "", nil)
			r := router(m, timeoutHandler, side.outside)
			flushed := make(chan error, 1)
			r.Get("/stream", func(w http.ResponseWriter, r *http.Request) {
				_ = vishnu.FromContext(r.Context()).Set("k", "streamed")
				io.WriteString(w, "chunk")
				flushed <- http.NewResponseController(w).Flush()
			})
			b := newBrowser(t, serve(t, r))
			b.expect("/stream", http.StatusOK, "chunk")
			if err := <-flushed; !errors.Is(err, http.ErrNotSupported) {
				t.Errorf("Flush through TimeoutHandler returned %v, want http.ErrNotSupported", err)
			}
			b.expect("/get?k=k", http.StatusOK, "streamed") // the buffered response still commits
		})
	}
}

// TestTimeoutHandlerLateChange: a handler that goes on after the timeout
// and changes a new session. Whichever the order, the change is not kept
// and the handler is told: inside the session middleware (the order to
// use), Set fails with ErrHeadersWritten, since the timeout's answer has
// gone out; outside it, the session's store calls share the timed-out
// context, so the commit fails and the handler's Write says so.
func TestTimeoutHandlerLateChange(t *testing.T) {
	for _, side := range sides {
		t.Run(side.name, func(t *testing.T) {
			m := newManager(t, nil, "", nil)
			r := router(m, timeoutHandler, side.outside)
			type outcome struct{ set, write error }
			late := make(chan outcome, 1)
			r.Get("/late", func(w http.ResponseWriter, r *http.Request) {
				s := vishnu.FromContext(r.Context())
				<-r.Context().Done()
				time.Sleep(50 * time.Millisecond) // the timeout's answer is out
				var o outcome
				o.set = s.Set("k", "late")
				_, o.write = io.WriteString(w, "late")
				late <- o
			})
			b := newBrowser(t, serve(t, r))
			res := b.get("/late")
			o := <-late
			if res.status != http.StatusServiceUnavailable || res.body != "timed out" || len(res.header.Values("Set-Cookie")) > 0 {
				t.Fatalf("status %d, body %q, Set-Cookie %q; want TimeoutHandler's 503 without a cookie", res.status, res.body, res.header.Values("Set-Cookie"))
			}
			if side.outside {
				if o.set != nil || o.write == nil {
					t.Fatalf("outside: Set %v, Write %v; want the commit's failure in Write", o.set, o.write)
				}
			} else if late := errors.Is(o.set, vishnu.ErrHeadersWritten) || errors.Is(o.set, vishnu.ErrRequestEnded); !late || !errors.Is(o.write, http.ErrHandlerTimeout) {
				// The session's request may have ended by then (ErrRequestEnded)
				// or only its headers gone (ErrHeadersWritten): an error either way.
				t.Fatalf("inside: Set %v, Write %v; want ErrHeadersWritten or ErrRequestEnded, and http.ErrHandlerTimeout", o.set, o.write)
			}
			b.expect("/get?k=k", http.StatusOK, "")
		})
	}
}
