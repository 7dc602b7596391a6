package vishnu

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// ErrorResponse is the response sent in place of the handler's when the
// session could not be loaded or committed (see Config.ErrorResponse).
type ErrorResponse struct {
	Status int
	Header http.Header
	Body   []byte

	// tokenHeader names the header in Header that answers a header token
	// (Config.Token): a session header, like Set-Cookie.
	tokenHeader string
}

func (m *Manager) errorResponse(ctx context.Context, err error, cookieLine string) ErrorResponse {
	m.cfg.Logger.ErrorContext(ctx, "vishnu: session unavailable", "err", err)
	resp := m.cfg.ErrorResponse(ctx, err)
	if resp.Status < 100 || resp.Status > 999 {
		resp.Status = http.StatusInternalServerError
	}
	resp.Header = resp.Header.Clone()
	if resp.Header == nil {
		resp.Header = make(http.Header)
	}
	resp.Header.Set("Cache-Control", "no-store")
	if cookieLine != "" {
		for line := range strings.SplitSeq(cookieLine, "\n") { // the cookie store's several
			resp.Header.Add("Set-Cookie", line)
		}
		resp.Header.Add("Vary", "Cookie")
	}
	return resp
}

// EachHeader calls set for each header that goes on the response sent in
// place of the handler's, once the handler's headers are gone and those of
// outer middleware (HSTS, CSP, CORS) are back. add says the values are
// added to those already set (Set-Cookie and Vary, which outer middleware
// may have set too); otherwise they replace them (Cache-Control: no-store
// among them). With sessionOnly, only the headers the session needs on any
// response (Set-Cookie, Vary, Cache-Control, and the token header of a
// Manager whose tokens travel in a header) are given: for an error
// handler of the application that writes the rest itself.
//
// It serves adapters whose framework has no http.Header; MergeHeader is
// the same over an http.Header.
func (r ErrorResponse) EachHeader(sessionOnly bool, set func(key string, values []string, add bool)) {
	for k, v := range r.Header {
		switch http.CanonicalHeaderKey(k) {
		case "Set-Cookie", "Vary":
			set(k, v, true)
		case "Cache-Control":
			set(k, v, false)
		case http.CanonicalHeaderKey(r.tokenHeader):
			set(k, v, false)
		default:
			if !sessionOnly {
				set(k, v, false)
			}
		}
	}
}

// MergeHeader sets r's headers on h as EachHeader gives them. Without
// sessionOnly, it also sets the Content-Length of r's body when h has none,
// so that nothing written after the error response by mistake reaches the
// client as part of it.
func (r ErrorResponse) MergeHeader(h http.Header, sessionOnly bool) {
	r.EachHeader(sessionOnly, func(k string, v []string, add bool) {
		if add {
			h[k] = append(h[k], v...)
		} else {
			h[k] = slices.Clone(v)
		}
	})
	if _, ok := h["Content-Length"]; !ok && !sessionOnly {
		h["Content-Length"] = []string{strconv.Itoa(len(r.Body))}
	}
}
