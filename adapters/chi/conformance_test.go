package vishnuchi_test

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	vishnuchi "github.com/vishnu-go/vishnu/adapters/chi"
	"github.com/vishnu-go/vishnu/conformance"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// quietLogger is chi's middleware.Logger (RequestLogger with its
// DefaultLogFormatter, as DefaultLogger is made) writing to nowhere, so
// that the suite's thousands of requests do not flood the test output.
var quietLogger = middleware.RequestLogger(&middleware.DefaultLogFormatter{Logger: log.New(io.Discard, "", 0), NoColor: true})

// chiStack is chi's common middleware, in the order a chi app puts it. The
// limits are the suite's: it holds a hundred requests at once, so Throttle
// must admit them, and no request of it takes long, so Timeout never fires
// (tests of their own make both answer).
func chiStack() []func(http.Handler) http.Handler {
	return []func(http.Handler) http.Handler{
		//lint:ignore SA1019 chi's RealIP is deprecated, but still in use and in the list to prove.
		middleware.RealIP,
		quietLogger,
		middleware.Recoverer,
		middleware.Heartbeat("/ping"),
		middleware.Throttle(1000),
		middleware.Timeout(time.Minute),
		middleware.Compress(5),
	}
}

// serveChi is the ServeFunc of a chi router: outer middleware, then the
// session middleware, then inner middleware, then a catch-all route that
// hands the request to the suite.
func serveChi(outer, inner func() []func(http.Handler) http.Handler) conformance.ServeFunc {
	return func(t *testing.T, m *vishnu.Manager, h conformance.Handler) string {
		r := chi.NewRouter()
		if outer != nil {
			r.Use(outer()...)
		}
		r.Use(vishnuchi.Middleware(m))
		if inner != nil {
			r.Use(inner()...)
		}
		r.HandleFunc("/*", func(w http.ResponseWriter, r *http.Request) {
			_ = h(vishnu.FromContext(r.Context()), conformance.NewRequest(r)).Send(w)
		})
		srv := httptest.NewServer(r)
		t.Cleanup(srv.Close)
		return srv.URL
	}
}

func one(mw func(http.Handler) http.Handler) func() []func(http.Handler) http.Handler {
	return func() []func(http.Handler) http.Handler { return []func(http.Handler) http.Handler{mw} }
}

// TestConformance runs the adapter suite through a real chi router on
// loopback: alone, with chi's whole common stack outside and then inside
// the session middleware, and with each of its middleware alone on each
// side.
func TestConformance(t *testing.T) {
	t.Run("Alone", func(t *testing.T) {
		conformance.TestAdapter(t, serveChi(nil, nil), conformance.AdapterOptions{})
	})
	t.Run("StackOutside", func(t *testing.T) {
		conformance.TestAdapter(t, serveChi(chiStack, nil), conformance.AdapterOptions{})
	})
	t.Run("StackInside", func(t *testing.T) {
		conformance.TestAdapter(t, serveChi(nil, chiStack), conformance.AdapterOptions{})
	})
	if testing.Short() {
		return
	}
	for _, mw := range []struct {
		name string
		mw   func(http.Handler) http.Handler
	}{
		{"Logger", quietLogger},
		{"Recoverer", middleware.Recoverer},
		{"Compress", middleware.Compress(5)},
		{"Timeout", middleware.Timeout(time.Minute)},
		{"Throttle", middleware.Throttle(1000)},
		//lint:ignore SA1019 chi's RealIP is deprecated, but still in use and in the list to prove.
		{"RealIP", middleware.RealIP},
		{"Heartbeat", middleware.Heartbeat("/ping")},
	} {
		t.Run(mw.name+"Outside", func(t *testing.T) {
			conformance.TestAdapter(t, serveChi(one(mw.mw), nil), conformance.AdapterOptions{})
		})
		t.Run(mw.name+"Inside", func(t *testing.T) {
			conformance.TestAdapter(t, serveChi(nil, one(mw.mw)), conformance.AdapterOptions{})
		})
	}
}

// TestConformanceCookieStore runs the suite with the data in the cookie,
// through chi's stack on each side.
func TestConformanceCookieStore(t *testing.T) {
	opts := conformance.AdapterOptions{NewStore: func(*testing.T) vishnu.Store { return vishnu.NewCookieStore() }}
	t.Run("StackOutside", func(t *testing.T) { conformance.TestAdapter(t, serveChi(chiStack, nil), opts) })
	t.Run("StackInside", func(t *testing.T) { conformance.TestAdapter(t, serveChi(nil, chiStack), opts) })
}
