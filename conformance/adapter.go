package conformance

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// Handler is the application the adapter suite serves through the adapter
// under test: a fixed set of routes, chosen by the last element of the
// request path, that use the session the way applications do. It is
// framework-neutral: the harness (a [ServeFunc]) gets the request's session
// from its framework, calls the Handler, and writes the [Response] it
// returns. A Handler may block, since some cases hold requests until others
// have arrived, so the framework must serve requests concurrently.
//
// s is the request's session: for net/http, vishnu.FromContext(r.Context());
// for another framework, whatever its adapter documents. The harness passes
// it as it gets it, nil included, which the suite reports as a failure.
type Handler func(s *vishnu.Session, r *Request) *Response

// Request is what a Handler needs of an HTTP request.
type Request struct {
	Method string
	// Path is the URL path, e.g. "/app/set". Only its last element counts.
	Path string
	// Query holds the URL's query parameters.
	Query url.Values
}

// NewRequest returns the Request of a net/http request.
func NewRequest(r *http.Request) *Request {
	return &Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query()}
}

// Response is what a Handler answers; the harness writes it as the
// framework's own handlers would:
//
//   - A nil Response: the handler writes nothing at all and returns (no
//     status, no header, no body), and the framework sends its default
//     answer (200 with an empty body). The session must be committed even
//     so, at the end of the request.
//   - ErrorStatus not 0: the handler fails. The harness returns the
//     framework's own error carrying that status from its route, for the
//     framework's error handler to render (echo: echo.NewHTTPError(status);
//     fiber: fiber.NewError(status); gin: c.AbortWithError(status, err));
//     on plain net/http, which has no handler errors, it writes
//     http.Error(w, http.StatusText(status), status). Header, Body and
//     Chunks are ignored.
//   - Otherwise the harness sends Status (0 means 200), Header and Body;
//     with no Body and no Chunks, it only sets the status (gin: c.Status;
//     echo: c.NoContent). With FlushFirst it flushes before it sets the
//     status or writes anything (the headers then go out with status 200).
//     When Chunks is not nil the response is streamed: after Body the
//     harness flushes, then writes and flushes each chunk it receives from
//     Chunks, until Chunks is closed (fasthttp: SetBodyStreamWriter).
//
// The session cookie must be in the headers in every case. If the response
// can no longer be written (the client went away), the harness may stop
// reading Chunks; the sender gives up by itself.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	Chunks <-chan []byte

	// FlushFirst asks for a flush before anything is written.
	FlushFirst bool

	// ErrorStatus, when not 0, asks the harness to return the framework's
	// error with this status instead of writing the response.
	ErrorStatus int
}

// Send writes resp to w: it is all a harness built on net/http (chi, gin,
// echo) needs to do with a Response, except returning the framework's error
// for ErrorStatus, which Send writes as http.Error does. It returns the
// first write or flush error.
func (resp *Response) Send(w http.ResponseWriter) error {
	if resp == nil {
		return nil // the handler writes nothing
	}
	if resp.ErrorStatus != 0 {
		http.Error(w, http.StatusText(resp.ErrorStatus), resp.ErrorStatus)
		return nil
	}
	h := w.Header()
	for k, v := range resp.Header {
		h[k] = v
	}
	rc := http.NewResponseController(w)
	if resp.FlushFirst {
		if err := rc.Flush(); err != nil {
			return err
		}
	} else {
		status := resp.Status
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
	}
	if len(resp.Body) > 0 {
		if _, err := w.Write(resp.Body); err != nil {
			return err
		}
	}
	if resp.Chunks == nil {
		return nil
	}
	if err := rc.Flush(); err != nil {
		return err
	}
	for chunk := range resp.Chunks {
		if _, err := w.Write(chunk); err != nil {
			return err
		}
		if err := rc.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// ServeFunc starts the framework's real server on loopback, with m's
// session middleware (the adapter under test) in front of an application
// that hands every request, whatever its method and path, to h. It returns
// the server's base URL ("http://127.0.0.1:port") and stops the server with
// t.Cleanup. The suite calls it once or more per case, each time with a new
// Manager.
//
// The server must serve requests concurrently (a case holds a hundred
// requests at once) and accept request headers of at least 8 KiB (a case
// sends a 5000-byte cookie; fasthttp's default read buffer is 4 KiB), and
// of 16 KiB with the cookie store (the CookieStore/Chunks cases send a
// session of about 12 KB in four cookies).
type ServeFunc func(t *testing.T, m *vishnu.Manager, h Handler) (baseURL string)

// NetHTTP is the ServeFunc of core's own net/http middleware,
// Manager.Handler, on an httptest.Server. Its source is the model for the
// ServeFunc of another framework.
func NetHTTP(t *testing.T, m *vishnu.Manager, h Handler) string {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = h(vishnu.FromContext(r.Context()), NewRequest(r)).Send(w)
	})
	srv := httptest.NewServer(m.Handler(app))
	t.Cleanup(srv.Close)
	return srv.URL
}

var _ ServeFunc = NetHTTP

// AdapterOptions configures TestAdapter. The zero value runs every case on
// core's memory store.
type AdapterOptions struct {
	// NewStore returns the store the cases' managers use. A store module
	// runs the adapter suite through NetHTTP on its real backend with it.
	// Optional. Default is vishnu.NewMemoryStore(). With
	// vishnu.NewCookieStore(), the cases that a cookie store cannot pass by
	// design (a replayed old cookie after logout or regeneration, concurrent
	// writers) are skipped with the reason.
	NewStore func(t *testing.T) vishnu.Store

	// NewUnavailable returns a store whose backend is down, for the cases
	// of the error response. Optional. Default is a stub whose every call
	// fails.
	NewUnavailable func(t *testing.T) vishnu.Store

	// Watchdog bounds each request the suite makes, so that a hanging
	// server fails the case instead of hanging the run. Optional. Default
	// is 30 seconds.
	Watchdog time.Duration
}

func (o AdapterOptions) withDefaults() AdapterOptions {
	if o.NewStore == nil {
		o.NewStore = func(*testing.T) vishnu.Store { return vishnu.NewMemoryStore() }
	}
	if o.NewUnavailable == nil {
		o.NewUnavailable = func(*testing.T) vishnu.Store { return downStore{} }
	}
	if o.Watchdog <= 0 {
		o.Watchdog = 30 * time.Second
	}
	return o
}

// TestAdapter runs the adapter conformance suite: for each case it makes a
// Manager (a new store, secret and Config), starts a server with serve, and
// drives it with a real http.Client and cookie jar, checking what a browser
// would get. Every failure message starts with the rule that broke.
//
// The cases then run again with the token in a request header instead of
// the cookie (Config.Token), as an API client sends it: under "Header/"
// with vishnu.TokenInHeader, and the basic round trip under "Bearer/" with
// vishnu.TokenInBearer (skipped with the cookie store, which cannot carry
// header tokens). The cases about cookies alone are skipped there, with
// the reason.
//
// The managers' cookies are not Secure (CookieConfig.Insecure), since the
// servers speak plain HTTP on loopback, except in the cases that check the
// Secure attribute, which read the raw Set-Cookie header. Their clock
// (Config.Clock) is the suite's, which moves time forward to expire
// cookies without waiting.
func TestAdapter(t *testing.T, serve ServeFunc, opts AdapterOptions) {
	t.Helper()
	if serve == nil {
		t.Fatal("conformance: TestAdapter needs a ServeFunc")
	}
	opts = opts.withDefaults()
	for _, m := range tokenModes {
		if m.tree == "" {
			m.run(t, serve, opts)
			continue
		}
		t.Run(m.tree, func(t *testing.T) {
			// A store made only to see which kind the factory makes.
			if isCookieStore(opts.NewStore(t)) {
				t.Skip(headerCookieStore)
			}
			m.run(t, serve, opts)
		})
	}
}
