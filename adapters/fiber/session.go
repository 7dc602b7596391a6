package vishnufiber

import (
	"github.com/gofiber/fiber/v2"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// requestKey is the key of the request's state in c.Locals.
type requestKey struct{}

// innermost returns the state of the innermost session middleware that
// handles c, or nil.
func innermost(c *fiber.Ctx) *request {
	if c == nil {
		return nil
	}
	r, _ := c.Locals(requestKey{}).(*request)
	return r
}

// Session returns the session of the request c, given by the innermost
// session middleware when several managers are used side by side, or nil
// when no session middleware handled the request. Every method of a nil
// *vishnu.Session returns vishnu.ErrNoSession, so a missing middleware is
// an error the handler sees, never a panic. The session is also in the
// request's context: vishnu.FromContext(c.UserContext()) returns it.
//
// The session belongs to this request only: it must not be kept after the
// request ends.
func Session(c *fiber.Ctx) *vishnu.Session {
	if r := innermost(c); r != nil {
		return r.s
	}
	return nil
}

// SessionOf returns the session that m's middleware gave the request c, or
// nil when m's middleware did not handle it. Use it when several managers
// (with different cookie names) are used side by side.
func SessionOf(c *fiber.Ctx, m *vishnu.Manager) *vishnu.Session {
	for r := innermost(c); r != nil; r = r.next {
		if r.m == m {
			return r.s
		}
	}
	return nil
}
