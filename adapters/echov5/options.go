package vishnuechov5

import "github.com/labstack/echo/v5"

// Options configures MiddlewareWithOptions. The zero value is what
// Middleware uses.
type Options struct {
	// Skipper, when it returns true, lets a request through without a
	// session: Session returns nil for it and nothing is committed. Use it
	// for static files or health checks that never need one. Optional.
	// Default is nil: every request gets a session.
	Skipper func(c *echo.Context) bool

	// ErrorHandler answers a request whose session could not be loaded or
	// committed (the store is down, the cookie-store data is too large, a
	// logout could not be recorded), in place of the handler's response.
	// err is the session's error.
	//
	// It runs once the handler chain inside the middleware has returned,
	// on a clean response: nothing of the handler's response has gone out,
	// the headers it set are dropped (those set before the middleware ran,
	// by outer middleware such as Secure, are kept), and the session's
	// pending cookie (a logout's deletion cookie), Vary: Cookie and
	// Cache-Control: no-store are set. It writes a response through c, as
	// a handler does, or returns an error for echo's HTTPErrorHandler to
	// render, as a handler does:
	//
	//	ErrorHandler: func(c *echo.Context, err error) error {
	//		return echo.NewHTTPError(http.StatusServiceUnavailable, "please try again").Wrap(err)
	//	}
	//
	// A panic that follows a failed commit and passes through the
	// middleware leaves no chain to run it in: the configured vishnu error
	// response is sent then, whatever ErrorHandler is.
	//
	// Optional. Default is nil: the configured vishnu error response
	// (Config.ErrorResponse, by default a plain-text 500) is written through
	// c.Response(), and the middleware returns nil (the response is
	// complete, so echo's HTTPErrorHandler has nothing left to do).
	ErrorHandler func(c *echo.Context, err error) error
}
