package vishnufiber

import "github.com/gofiber/fiber/v2"

// Options configures MiddlewareWithOptions. The zero value is what
// Middleware uses.
type Options struct {
	// Next skips the middleware for the requests it reports true for, as
	// in fiber's own middleware: they get no session (Session returns nil).
	// Optional. Default is nil: every request gets a session.
	Next func(c *fiber.Ctx) bool

	// ErrorHandler answers a request whose session could not be loaded or
	// committed (the store is down, the cookie-store data is too large, a
	// logout could not be recorded). When it runs, the handler's response
	// is gone (its status, body, body stream and headers; those set before
	// the middleware ran are kept), and the response already carries the
	// session's pending Set-Cookie line (such as a logout's deletion
	// cookie), Vary: Cookie and Cache-Control: no-store. It writes its own
	// answer on c and returns nil, or returns an error for fiber's
	// Config.ErrorHandler to render, such as
	// fiber.NewError(fiber.StatusServiceUnavailable, "try again later")
	// (err itself wraps the store's error: rendering its text would show it
	// to the client). Optional. Default is nil: the response of
	// vishnu.Config.ErrorResponse (status, headers and body), the hook that
	// every adapter shares, is sent as it is.
	ErrorHandler func(c *fiber.Ctx, err error) error
}
