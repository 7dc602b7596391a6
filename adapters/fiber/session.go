package vishnufiber

import (
	"github.com/gofiber/fiber/v2"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// requestKey is the key in c.Locals of the innermost session middleware.
type requestKey struct{}

// Session returns the session of the request c, given by the innermost
// session middleware when several managers are used side by side, or nil
// when no session middleware handled the request. Every method of a nil
// *vishnu.Session returns vishnu.ErrNoSession, so a missing middleware is
// an error the handler sees, never a panic.
//
// The session is made on the first call (a request that never calls
// Session costs nothing); its store calls use c.UserContext() as it is
// then. Call Session on the handler's goroutine, as any method of c, and
// hand the *vishnu.Session to other goroutines. The session belongs to this
// request only: it must not be kept after the request ends.
func Session(c *fiber.Ctx) *vishnu.Session {
	if c == nil || c.Context() == nil { // nil, or released by fiber
		return nil
	}
	if mw, _ := c.Locals(requestKey{}).(*middleware); mw != nil {
		return mw.session(c)
	}
	return nil
}

// SessionOf returns the session that m's middleware gave the request c, or
// nil when m's middleware did not handle it. Use it when several managers
// (with different cookie names) are used side by side.
func SessionOf(c *fiber.Ctx, m *vishnu.Manager) *vishnu.Session {
	if c == nil || c.Context() == nil || m == nil {
		return nil
	}
	switch v := c.Locals(m).(type) {
	case *mark:
		return v.mw.session(c)
	case *request:
		return v.mw.session(c)
	}
	return nil
}
