package vishnuchi

import (
	"net/http"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// Middleware returns m's session middleware for a chi router:
//
//	r.Use(vishnuchi.Middleware(m))
//
// It is m.Handler itself. chi middleware is net/http middleware, so core's
// commit point (the first WriteHeader, Write, Flush, ReadFrom or Hijack, or
// the handler's return, without buffering) and its error response (the
// headers the handler set dropped, those of outer middleware kept) hold on
// chi as they are; this package adds no wrapper of its own, and so no
// cost. What it adds is the proof: its tests run the adapter conformance
// suite through a chi router with chi's own middleware around and inside
// it, and its README says which order of middleware to use.
//
// In a handler, the session is core's: vishnu.FromContext(r.Context()),
// or m.FromContext(r.Context()) when several managers are used side by
// side. Route guards are core's vishnu.Guard: r.With(guard.Handler).
//
// It panics when m is nil: at start-up, where the middleware is made, never
// at request time.
func Middleware(m *vishnu.Manager) func(http.Handler) http.Handler {
	if m == nil {
		panic("vishnuchi: Middleware called with a nil *vishnu.Manager")
	}
	return m.Handler
}
