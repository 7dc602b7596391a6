package vishnu

import (
	"errors"
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
		rq.w = a.NewWriter(w, &rq.s, replaceNow)
		next.ServeHTTP(&rq.w, r.WithContext(&rq.ctx))
		rq.finish(a)
	})
}

type request struct {
	httpSession
	w GateWriter
}

// replaceNow is the middleware's answer to a write its gate refuses: the
// error response goes out at once, in place of the handler's, whose writes
// then fail.
func replaceNow(w *GateWriter, _ error) error {
	if w.State() == GateFailed {
		w.ReplaceNow()
	}
	return errResponseReplaced
}

// finish is the commit point for a handler that wrote nothing, and commits
// what can still be committed for one that changed the session afterwards.
func (rq *request) finish(a Adapter) {
	if rq.w.State() == GatePending {
		_ = rq.w.Commit()
	}
	a.Finish(&rq.s)
}
