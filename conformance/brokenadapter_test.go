package conformance_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
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
		s := m.Adapter().Open(r.Context(), m.Adapter().HTTPTransport(w, r))
		resp := h(s, conformance.NewRequest(r))
		_ = m.Adapter().Commit(s) // the mistake
		_ = resp.Send(w)
		m.Adapter().Finish(s)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// serveIgnoringHandlerErrors renders a handler's error as a plain 200, as
// an adapter that drops the error its route returned would.
func serveIgnoringHandlerErrors(t *testing.T, m *vishnu.Manager, h conformance.Handler) string {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp := h(vishnu.FromContext(r.Context()), conformance.NewRequest(r))
		if resp != nil && resp.ErrorStatus != 0 {
			resp = &conformance.Response{Body: []byte("ok")} // the mistake
		}
		_ = resp.Send(w)
	})
	srv := httptest.NewServer(m.Handler(app))
	t.Cleanup(srv.Close)
	return srv.URL
}

// serveWithoutFinish is an adapter written with Open and Commit that never
// calls Finish, so changes made after the headers are lost.
func serveWithoutFinish(t *testing.T, m *vishnu.Manager, h conformance.Handler) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := m.Adapter().Open(r.Context(), m.Adapter().HTTPTransport(w, r))
		resp := h(s, conformance.NewRequest(r))
		if err := m.Adapter().Commit(s); err != nil {
			e := m.Adapter().ErrorResponse(s, err)
			for k, v := range e.Header {
				w.Header()[k] = v
			}
			w.WriteHeader(e.Status)
			_, _ = w.Write(e.Body)
			return
		}
		_ = resp.Send(w) // the mistake: no m.Adapter().Finish(s) after the stream
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// serveCommittingOnWrite commits when the handler first writes, and not
// at all when it writes nothing.
func serveCommittingOnWrite(t *testing.T, m *vishnu.Manager, h conformance.Handler) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := m.Adapter().Open(r.Context(), m.Adapter().HTTPTransport(w, r))
		cw := &commitOnWrite{ResponseWriter: w, commit: func() bool {
			if err := m.Adapter().Commit(s); err != nil {
				http.Error(w, "session unavailable", http.StatusServiceUnavailable)
				return false
			}
			return true
		}}
		_ = h(s, conformance.NewRequest(r)).Send(cw)
		m.Adapter().Finish(s) // the mistake: no commit point when nothing was written
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

type commitOnWrite struct {
	http.ResponseWriter
	commit    func() bool
	committed bool
	ok        bool
}

func (w *commitOnWrite) before() bool {
	if !w.committed {
		w.committed, w.ok = true, w.commit()
	}
	return w.ok
}

func (w *commitOnWrite) WriteHeader(code int) {
	if w.before() {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *commitOnWrite) Write(p []byte) (int, error) {
	if !w.before() {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

func (w *commitOnWrite) Flush() {
	if w.before() {
		http.NewResponseController(w.ResponseWriter).Flush()
	}
}

// serveBufferingEvents holds back server-sent events until the handler
// returns, as a compression middleware that does not know them does.
func serveBufferingEvents(t *testing.T, m *vishnu.Manager, h conformance.Handler) string {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = h(vishnu.FromContext(r.Context()), conformance.NewRequest(r)).Send(w)
	})
	inner := m.Handler(app)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bw := &eventBuffer{ResponseWriter: w}
		inner.ServeHTTP(bw, r)
		_, _ = w.Write(bw.held)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

type eventBuffer struct {
	http.ResponseWriter
	held []byte
}

func (w *eventBuffer) events() bool {
	return w.Header().Get("Content-Type") == "text/event-stream"
}

func (w *eventBuffer) Write(p []byte) (int, error) {
	if w.events() {
		w.held = append(w.held, p...)
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

func (w *eventBuffer) Flush() {
	if !w.events() {
		http.NewResponseController(w.ResponseWriter).Flush()
	}
}

// serveFlushingAround flushes the server's own writer, not the one the
// session middleware gave the route, so a flush before any write sends the
// headers without the session's commit.
func serveFlushingAround(t *testing.T, m *vishnu.Manager, h conformance.Handler) string {
	type rawKey struct{}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp := h(vishnu.FromContext(r.Context()), conformance.NewRequest(r))
		if resp != nil && resp.FlushFirst {
			raw := r.Context().Value(rawKey{}).(http.ResponseWriter)
			_ = http.NewResponseController(raw).Flush() // the mistake
			resp.FlushFirst = false
		}
		_ = resp.Send(w)
	})
	inner := m.Handler(app)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), rawKey{}, w)))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// serveIgnoringEndCommitError commits on the first write, with its error
// handled, and at the end of a request that wrote nothing, with its error
// dropped.
func serveIgnoringEndCommitError(t *testing.T, m *vishnu.Manager, h conformance.Handler) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := m.Adapter().Open(r.Context(), m.Adapter().HTTPTransport(w, r))
		cw := &commitOnWrite{ResponseWriter: w, commit: func() bool {
			if err := m.Adapter().Commit(s); err != nil {
				e := m.Adapter().ErrorResponse(s, err)
				for k, v := range e.Header {
					w.Header()[k] = v
				}
				w.WriteHeader(e.Status)
				_, _ = w.Write(e.Body)
				return false
			}
			return true
		}}
		_ = h(s, conformance.NewRequest(r)).Send(cw)
		if !cw.committed {
			_ = m.Adapter().Commit(s) // the mistake
		}
		m.Adapter().Finish(s)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// serveWithoutTokenHeaders sits behind a proxy that strips the request
// headers a session token travels in, as one configured to drop
// credentials does: header sessions never come back.
func serveWithoutTokenHeaders(t *testing.T, m *vishnu.Manager, h conformance.Handler) string {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = h(vishnu.FromContext(r.Context()), conformance.NewRequest(r)).Send(w)
	})
	inner := m.Handler(app)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del(vishnu.DefaultTokenHeader)
		r.Header.Del("Authorization")
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// serveDroppingCookiePieces hands the session middleware only the cookie
// named as the session, not the numbered cookies the cookie store splits a
// large session over, as an adapter that copies the request's cookies by
// that one name does.
func serveDroppingCookiePieces(t *testing.T, m *vishnu.Manager, h conformance.Handler) string {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = h(vishnu.FromContext(r.Context()), conformance.NewRequest(r)).Send(w)
	})
	inner := m.Handler(app)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kept := r.CookiesNamed(m.CookieName()) // the mistake: not name.1, name.2, …
		r.Header.Del("Cookie")
		for _, c := range kept {
			r.AddCookie(c)
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// serveStreamingKnownHeaders sends a streamed response with only the
// headers it knows, the session cookie's among them, as a framework's
// stream writer that copies a fixed list of headers does: a header
// session's token is lost on every streamed response, and only there.
func serveStreamingKnownHeaders(t *testing.T, m *vishnu.Manager, h conformance.Handler) string {
	type streamingKey struct{}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp := h(vishnu.FromContext(r.Context()), conformance.NewRequest(r))
		if resp != nil && resp.Chunks != nil {
			r.Context().Value(streamingKey{}).(*knownHeadersWriter).streaming = true
		}
		_ = resp.Send(w)
	})
	inner := m.Handler(app)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kw := &knownHeadersWriter{ResponseWriter: w}
		inner.ServeHTTP(kw, r.WithContext(context.WithValue(r.Context(), streamingKey{}, kw)))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

type knownHeadersWriter struct {
	http.ResponseWriter
	streaming bool
}

// knownHeaders are the headers knownHeadersWriter keeps on a stream.
var knownHeaders = []string{"Cache-Control", "Content-Type", "Set-Cookie", "Vary"}

func (w *knownHeadersWriter) keepKnown() {
	if !w.streaming {
		return
	}
	for k := range w.Header() {
		if !slices.Contains(knownHeaders, k) {
			delete(w.Header(), k) // the mistake
		}
	}
}

func (w *knownHeadersWriter) WriteHeader(code int) {
	w.keepKnown()
	w.ResponseWriter.WriteHeader(code)
}

func (w *knownHeadersWriter) Flush() {
	w.keepKnown()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// serveReadingCookiesOnly is a net/http adapter built on Adapter.Open
// whose Transport reads no request header, as one written before tokens
// could travel in headers does: header sessions never come back.
func serveReadingCookiesOnly(t *testing.T, m *vishnu.Manager, h conformance.Handler) string {
	a := m.Adapter()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := a.Open(r.Context(), cookiesOnly{a.HTTPTransport(w, r)})
		gw := a.NewWriter(w, s, func(gw *vishnu.GateWriter, err error) error {
			if gw.State() == vishnu.GateFailed {
				gw.ReplaceNow()
			}
			return err
		})
		_ = h(s, conformance.NewRequest(r)).Send(&gw)
		if gw.State() == vishnu.GatePending {
			_ = gw.Commit()
		}
		a.Finish(s)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

type cookiesOnly struct{ vishnu.Transport }

func (cookiesOnly) RequestHeader(string) []string { return nil } // the mistake
