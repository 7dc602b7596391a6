package vishnuechov5_test

import (
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
	vishnuechov5 "github.com/vishnu-go/vishnu/adapters/echov5"
	"github.com/vishnu-go/vishnu/conformance"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// sendResponse writes the suite's Response through echo's own API, as
// echo handlers answer: nothing at all for a nil Response, a returned
// echo.NewHTTPError for ErrorStatus, c.NoContent for a status alone, c.Blob
// for a whole body, c.Response() with flushes for a stream.
func sendResponse(c *echo.Context, resp *conformance.Response) error {
	if resp == nil {
		return nil
	}
	if resp.ErrorStatus != 0 {
		return echo.NewHTTPError(resp.ErrorStatus, "")
	}
	res := c.Response()
	h := res.Header()
	for k, v := range resp.Header {
		h[k] = v
	}
	rc := http.NewResponseController(res)
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	switch {
	case resp.FlushFirst:
		if err := rc.Flush(); err != nil {
			return err
		}
	case len(resp.Body) == 0 && resp.Chunks == nil:
		return c.NoContent(status)
	case resp.Chunks == nil && h.Get(echo.HeaderContentType) != "":
		return c.Blob(status, h.Get(echo.HeaderContentType), resp.Body)
	default:
		res.WriteHeader(status)
	}
	if len(resp.Body) > 0 {
		if _, err := res.Write(resp.Body); err != nil {
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
		if _, err := res.Write(chunk); err != nil {
			return err
		}
		if err := rc.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// quietEcho returns echo.New with its logger (and so RequestLogger's and
// Recover's output) discarded.
func quietEcho() *echo.Echo {
	e := echo.New()
	e.Logger = slog.New(slog.DiscardHandler)
	return e
}

// serveWith returns the ServeFunc of an echo server whose middleware is set
// up by use, given the session middleware.
func serveWith(use func(e *echo.Echo, session echo.MiddlewareFunc)) conformance.ServeFunc {
	return func(t *testing.T, m *vishnu.Manager, h conformance.Handler) string {
		e := quietEcho()
		use(e, vishnuechov5.Middleware(m))
		e.Any("/*", func(c *echo.Context) error {
			return sendResponse(c, h(vishnuechov5.Session(c), conformance.NewRequest(c.Request())))
		})
		return startEcho(t, e)
	}
}

// commonMiddleware is echo's common middleware, each made as an app would.
var commonMiddleware = []struct {
	name string
	mw   func() echo.MiddlewareFunc
}{
	{"Recover", func() echo.MiddlewareFunc { return middleware.Recover() }},
	{"RequestLogger", func() echo.MiddlewareFunc { return middleware.RequestLogger() }},
	{"Gzip", func() echo.MiddlewareFunc { return middleware.Gzip() }},
	{"BodyDump", func() echo.MiddlewareFunc {
		return middleware.BodyDump(func(*echo.Context, []byte, []byte, error) {})
	}},
	{"ContextTimeout", func() echo.MiddlewareFunc { return middleware.ContextTimeout(time.Minute) }},
	{"BodyLimit", func() echo.MiddlewareFunc { return middleware.BodyLimit(1 << 20) }},
	{"Secure", func() echo.MiddlewareFunc { return middleware.Secure() }},
}

// TestAdapter runs the adapter conformance suite through a real echo v5
// server: with the session middleware alone, and with each of echo's common
// middleware around it (used before it) and inside it (used after it).
func TestAdapter(t *testing.T) {
	t.Run("Alone", func(t *testing.T) {
		conformance.TestAdapter(t, serveWith(func(e *echo.Echo, session echo.MiddlewareFunc) {
			e.Use(session)
		}), conformance.AdapterOptions{})
	})
	for _, c := range commonMiddleware {
		t.Run(c.name+"Around", func(t *testing.T) {
			conformance.TestAdapter(t, serveWith(func(e *echo.Echo, session echo.MiddlewareFunc) {
				e.Use(c.mw(), session)
			}), conformance.AdapterOptions{})
		})
		t.Run(c.name+"Inside", func(t *testing.T) {
			conformance.TestAdapter(t, serveWith(func(e *echo.Echo, session echo.MiddlewareFunc) {
				e.Use(session, c.mw())
			}), conformance.AdapterOptions{})
		})
	}
	t.Run("AllAround", func(t *testing.T) {
		conformance.TestAdapter(t, serveWith(func(e *echo.Echo, session echo.MiddlewareFunc) {
			for _, c := range commonMiddleware {
				e.Use(c.mw())
			}
			e.Use(session)
		}), conformance.AdapterOptions{})
	})
	t.Run("AllInside", func(t *testing.T) {
		conformance.TestAdapter(t, serveWith(func(e *echo.Echo, session echo.MiddlewareFunc) {
			e.Use(session)
			for _, c := range commonMiddleware {
				e.Use(c.mw())
			}
		}), conformance.AdapterOptions{})
	})
}

// TestAdapterCookieStore runs the suite with the data in the cookie.
func TestAdapterCookieStore(t *testing.T) {
	conformance.TestAdapter(t, serveWith(func(e *echo.Echo, session echo.MiddlewareFunc) {
		e.Use(middleware.Recover(), session)
	}), conformance.AdapterOptions{NewStore: func(*testing.T) vishnu.Store { return vishnu.NewCookieStore() }})
}
