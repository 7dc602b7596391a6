package conformance_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/vishnu-go/vishnu/conformance"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// Broken harnesses: adapters with the mistakes an adapter author can make,
// which the adapter suite must catch.

// serveNilSession forgets to hand the session to the application.
func serveNilSession(t *testing.T, m *vishnu.Manager, h conformance.Handler) string {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = h(nil, conformance.NewRequest(r)).Send(w)
	})
	srv := httptest.NewServer(m.Handler(app))
	t.Cleanup(srv.Close)
	return srv.URL
}

// serveBuffered buffers the whole response before sending it.
func serveBuffered(t *testing.T, m *vishnu.Manager, h conformance.Handler) string {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = h(vishnu.FromContext(r.Context()), conformance.NewRequest(r)).Send(w)
	})
	inner := m.Handler(app)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		inner.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// serveIgnoringCommitErrors is an adapter written with Open and Commit
// that drops Commit's error instead of sending the error response.
func serveIgnoringCommitErrors(t *testing.T, m *vishnu.Manager, h conformance.Handler) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := m.Open(r.Context(), vishnu.NewHTTPTransport(w, r))
		resp := h(s, conformance.NewRequest(r))
		_ = m.Commit(s) // the mistake
		_ = resp.Send(w)
		m.Finish(s)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

