package vishnufiber_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/etag"
	"github.com/gofiber/fiber/v2/middleware/logger"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/timeout"
	"github.com/vishnu-go/vishnu/conformance"
	vishnu "github.com/vishnu-go/vishnu/core"
)

func TestConformance(t *testing.T) {
	conformance.TestAdapter(t, serveWith(nil, nil), conformance.AdapterOptions{})
}

// common returns fiber's common middleware: recover, logger, compress,
// etag and timeout (NewWithContext: a deadline in the user context, which
// reaches the store). etag reads the whole body to hash it (Response.Body
// drains a body stream), which buffers a streamed response, so streaming
// routes skip it.
func common() []fiber.Handler {
	return []fiber.Handler{
		recover.New(),
		timeout.NewWithContext(func(c *fiber.Ctx) error { return c.Next() }, 30*time.Second),
		logger.New(logger.Config{Output: io.Discard}),
		compress.New(),
		etag.New(etag.Config{Next: func(c *fiber.Ctx) bool { return strings.HasSuffix(c.Path(), "/stream") }}),
	}
}

func TestConformanceWithMiddlewareAround(t *testing.T) {
	conformance.TestAdapter(t, serveWith(common, nil), conformance.AdapterOptions{})
}

func TestConformanceWithMiddlewareInside(t *testing.T) {
	conformance.TestAdapter(t, serveWith(nil, common), conformance.AdapterOptions{})
}

// The suite again with the cookie store, whose cookie carries the session
// data (the request headers the ServeFunc's ReadBufferSize must take).
func TestConformanceCookieStore(t *testing.T) {
	conformance.TestAdapter(t, serveWith(nil, nil), conformance.AdapterOptions{
		NewStore: func(*testing.T) vishnu.Store { return vishnu.NewCookieStore() },
	})
}
