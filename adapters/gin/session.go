package vishnugin

import (
	"github.com/gin-gonic/gin"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// Session returns the request's session: that of the innermost session
// middleware when several run (use SessionOf to choose), or nil when none
// handled the request. A nil session is safe to use: its methods return
// vishnu.ErrNoSession (Get reports false), so a route that was left outside
// the middleware fails its Save instead of crashing.
//
// It is vishnu.FromContext(c.Request.Context()), which works as well, in
// the handler and in any code it passes the request's context to.
func Session(c *gin.Context) *vishnu.Session {
	if c == nil || c.Request == nil {
		return nil
	}
	return vishnu.FromContext(c.Request.Context())
}

// SessionOf returns m's session of the request, or nil when m's middleware
// did not handle it: for several managers side by side (with different
// cookie names) on one engine or route group.
func SessionOf(c *gin.Context, m *vishnu.Manager) *vishnu.Session {
	if c == nil || c.Request == nil || m == nil {
		return nil
	}
	return m.FromContext(c.Request.Context())
}
