package vishnuechov5

import (
	"github.com/labstack/echo/v5"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// Session returns the session of the request c, set by the middleware (the
// innermost one, when several managers are in use), or nil when no
// session middleware handled the request (or its Skipper skipped it). Every
// method of a nil *vishnu.Session returns vishnu.ErrNoSession (Get returns
// false), so a missing middleware is an error, not a panic.
//
// The session is in the request's context too, so code that is handed
// c.Request().Context() reaches it with vishnu.FromContext.
func Session(c *echo.Context) *vishnu.Session {
	if c == nil || c.Request() == nil {
		return nil
	}
	return vishnu.FromContext(c.Request().Context())
}

// SessionOf returns m's session of the request c, or nil when m's
// middleware did not handle it: for several managers (with different
// cookie names) side by side.
func SessionOf(c *echo.Context, m *vishnu.Manager) *vishnu.Session {
	if c == nil || c.Request() == nil || m == nil {
		return nil
	}
	return m.FromContext(c.Request().Context())
}
