package vishnu

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Guard is a route guard: it lets a request through only when its session
// holds a key (such as "user", for a logged-in visitor), and otherwise
// answers in the handler's place with a redirect to a login page or a
// 401 or 403. Make one per rule at start-up with NewGuard and put its
// Handler in front of the routes it protects, inside the manager's own
// middleware (the guard reads the session that middleware opened):
//
//	loggedIn, err := vishnu.NewGuard(m, vishnu.GuardConfig{Key: "user", RedirectTo: "/login"})
//	if err != nil {
//		log.Fatal(err)
//	}
//	mux.Handle("/account", loggedIn.Handler(account))
//	http.ListenAndServe(addr, m.Handler(mux))
//
// A session that could not be loaded (the store is down) is not "not
// logged in": the request gets the manager's error response
// (Config.ErrorResponse), never the login page, so an outage does not
// send every visitor to log in again.
//
// The guard decides once, when the request arrives. A logout that another
// request makes meanwhile does not stop a request already let through, but
// it cannot be undone by it either: what that request changes in the
// destroyed session is dropped (see Session.Destroy), and every request
// that arrives after the logout is turned away.
//
// Handler is the guard for net/http and the routers built on it (chi,
// gorilla/mux). Check is the same decision for adapters of frameworks with
// handler types of their own. A Guard is safe for concurrent use.
type Guard struct {
	m        *Manager
	key      string
	status   int
	redirect *url.URL
	param    string
	denied   func(ctx context.Context, target string) ErrorResponse
}

// GuardConfig configures a Guard. Key is required; RedirectTo, Status and
// Denied are three ways to answer a request that lacks it, of which at most
// one may be set.
type GuardConfig struct {
	// Key is the session key a request needs to pass, such as "user".
	// Required.
	Key string

	// RedirectTo is where a request without Key is sent, with a
	// 303 See Other: a login page such as "/login". Optional. Default is
	// no redirect: the request is answered with Status.
	RedirectTo string

	// ReturnParam, with RedirectTo, names a query parameter added to the
	// redirect that carries the path and query the visitor asked for
	// ("/login?next=%2Faccount"), so that the login page can send them back
	// after logging in. A target that is not a local path (one starting
	// with "//", which a browser would read as another host) is left out;
	// the login page must still check what it redirects to. Optional.
	// Default is none.
	ReturnParam string

	// Status is the status of the answer to a request without Key when
	// RedirectTo is empty: a 4xx, usually 401 Unauthorized or
	// 403 Forbidden. The body is the status text, as plain text. Optional.
	// Default is 401.
	Status int

	// Denied returns the answer to a request without Key, for an answer of
	// the application's own (a JSON error, a login form rendered in place).
	// target is the path and query the visitor asked for. It may be called
	// concurrently. Its Set-Cookie and Vary headers are added to those of
	// the response, its other headers replace them. Optional. Default is
	// the answer given by RedirectTo or Status.
	Denied func(ctx context.Context, target string) ErrorResponse
}

// NewGuard returns a Guard of m's sessions configured by cfg. Every
// configuration mistake is reported here, never at request time.
func NewGuard(m *Manager, cfg GuardConfig) (*Guard, error) {
	if m == nil {
		return nil, errors.New("vishnu: NewGuard: nil Manager")
	}
	if !validKey(cfg.Key) {
		return nil, fmt.Errorf("vishnu: invalid GuardConfig.Key %q: %w", cfg.Key, ErrInvalidKey)
	}
	set := 0
	for _, isSet := range []bool{cfg.RedirectTo != "", cfg.Status != 0, cfg.Denied != nil} {
		if isSet {
			set++
		}
	}
	if set > 1 {
		return nil, errors.New("vishnu: invalid GuardConfig: set at most one of RedirectTo, Status and Denied")
	}
	if cfg.ReturnParam != "" && cfg.RedirectTo == "" {
		return nil, errors.New("vishnu: invalid GuardConfig.ReturnParam: it needs RedirectTo")
	}
	g := &Guard{m: m, key: cfg.Key, status: http.StatusUnauthorized, param: cfg.ReturnParam, denied: cfg.Denied}
	if cfg.Status != 0 {
		if cfg.Status < 400 || cfg.Status > 499 {
			return nil, fmt.Errorf("vishnu: invalid GuardConfig.Status: want a 4xx status, got %d", cfg.Status)
		}
		g.status = cfg.Status
	}
	if cfg.RedirectTo != "" {
		u, err := url.Parse(cfg.RedirectTo)
		if err != nil {
			return nil, fmt.Errorf("vishnu: invalid GuardConfig.RedirectTo: %w", err)
		}
		g.redirect = u
	}
	return g, nil
}

// Handler is the guard as net/http middleware. It must run inside the
// middleware of the guard's Manager; without it, every request gets the
// manager's error response for ErrNoSession, since a guard that cannot see
// the session must not let anybody through.
func (g *Guard) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := g.m.FromContext(r.Context())
		if s == nil {
			writeErrorResponse(w, g.m.errorResponse(r.Context(), ErrNoSession, ""))
			return
		}
		if err := s.Load(); err != nil {
			g.storeFailed(w, s, err)
			return
		}
		if s.Has(g.key) {
			next.ServeHTTP(w, r)
			return
		}
		writeErrorResponse(w, g.denial(r.Context(), requestTarget(r)))
	})
}

// Check is the guard's decision for a request whose session is s (nil when
// the manager's middleware did not run) and whose path and query are
// target: ok when the request may go on; otherwise resp is what to answer
// in its place. That is the denial, or, when the session could not be
// loaded, Adapter.ErrorResponse(s, err). Adapters of frameworks whose handlers are
// not net/http's call it and send resp in their framework's way. (An
// adapter whose commit point answers a session that failed to load with
// the error response itself may call s.Load first and, on an error, stop
// the chain without writing, so that the failure is logged once.)
func (g *Guard) Check(s *Session, target string) (resp ErrorResponse, ok bool) {
	if s == nil {
		return g.m.sessionErrorResponse(nil, ErrNoSession), false
	}
	if err := s.Load(); err != nil {
		return g.m.sessionErrorResponse(s, err), false
	}
	if s.Has(g.key) {
		return ErrorResponse{}, true
	}
	return g.denial(s.ctx, target), false
}

// storeFailed answers a request whose session could not be loaded. Under
// the manager's own middleware, its commit point fails with the same
// error and sends the error response itself: the guard only brings that
// commit point forward, so that the failure is logged once. Otherwise the
// guard writes the error response.
func (g *Guard) storeFailed(w http.ResponseWriter, s *Session, err error) {
	for rw := w; rw != nil; {
		if sw, ok := rw.(*GateWriter); ok && sw.s == s {
			_ = sw.Commit()
			return
		}
		u, ok := rw.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		rw = u.Unwrap()
	}
	writeErrorResponse(w, g.m.sessionErrorResponse(s, err))
}

// denial is the answer to a request without the key. It is never stored
// by a shared cache: the same URL answers differently once logged in.
func (g *Guard) denial(ctx context.Context, target string) ErrorResponse {
	var resp ErrorResponse
	switch {
	case g.denied != nil:
		resp = g.denied(ctx, target)
		resp.Header = resp.Header.Clone()
		if resp.Status < 100 || resp.Status > 999 {
			resp.Status = g.status
		}
	case g.redirect != nil:
		resp = ErrorResponse{Status: http.StatusSeeOther, Header: http.Header{"Location": {g.location(target)}}}
	default:
		resp = ErrorResponse{
			Status: g.status,
			Header: http.Header{
				"Content-Type":           {"text/plain; charset=utf-8"},
				"X-Content-Type-Options": {"nosniff"},
			},
			Body: []byte(http.StatusText(g.status) + "\n"),
		}
	}
	if resp.Header == nil {
		resp.Header = make(http.Header)
	}
	resp.Header.Set("Cache-Control", "no-store")
	if !hasToken(strings.Join(resp.Header.Values("Vary"), ","), "Cookie") {
		resp.Header.Add("Vary", "Cookie")
	}
	return resp
}

// location is the redirect's URL, with the return parameter when there is
// one and target is a local path.
func (g *Guard) location(target string) string {
	if g.param == "" || !localPath(target) {
		return g.redirect.String()
	}
	u := *g.redirect
	q := u.Query()
	q.Set(g.param, target)
	u.RawQuery = q.Encode()
	return u.String()
}

// localPath reports whether target is a path on this host: browsers read
// "//host/..." and "/\host/..." as another host.
func localPath(target string) bool {
	return strings.HasPrefix(target, "/") && !strings.HasPrefix(target, "//") && !strings.HasPrefix(target, `/\`)
}

// requestTarget is the path and query the visitor asked for: the request
// line's, which a router that strips a prefix (http.StripPrefix, a mounted
// sub-router) leaves as it was.
func requestTarget(r *http.Request) string {
	if strings.HasPrefix(r.RequestURI, "/") {
		return r.RequestURI
	}
	return r.URL.RequestURI()
}
