package vishnugin

import "github.com/gin-gonic/gin"

// Options configures MiddlewareWithOptions. The zero value is what
// Middleware uses.
type Options struct {
	// ErrorHandler answers a request whose session could not be loaded or
	// committed (the store is down, the cookie-store data is too large, a
	// logout could not be recorded), in place of the handler's response.
	// When it runs, the handler's headers are gone (those set before the
	// session middleware are kept), the status is the one of the manager's
	// error response (vishnu.Config.ErrorResponse), and the session's
	// pending Set-Cookie (such as a logout's deletion cookie), Vary and
	// Cache-Control: no-store are set; it writes its response with gin as
	// usual (c.JSON, c.String, c.HTML, ...). The chain is aborted and err is
	// recorded in c.Errors either way; if it writes nothing, the status
	// alone goes out. It may be called from any handler's write, so it must
	// not call c.Next.
	//
	// Optional. Default is the manager's error response
	// (vishnu.Config.ErrorResponse), status, headers and body.
	ErrorHandler func(c *gin.Context, err error)
}
