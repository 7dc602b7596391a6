// Package vishnufiber is the fiber (v2) adapter of Vishnu: sessions with
// the API of package vishnu, on fiber's fasthttp instead of net/http.
//
//	app.Use(vishnufiber.Middleware(m))
//	app.Get("/", func(c *fiber.Ctx) error {
//		s := vishnufiber.Session(c)
//		...
//	})
//
// The middleware gives each request a *vishnu.Session, reachable with
// Session (or SessionOf when several managers are used side by side). The
// session is made when first asked for, so a request that never uses it
// costs no allocation; the store calls the handler makes use the request's
// user context (c.UserContext()) as it is then, deadline included, and those
// from the commit point on the same context without its deadline and
// cancellation.
//
// # Commit point
//
// fasthttp writes the response after the handler returns, so the session
// commits when the handler chain returns: after c.SendString, c.JSON,
// c.Redirect, c.SendStatus, c.SendStream or SetBodyStreamWriter alike. A
// stream writer runs after that: a change it makes that would need a new
// cookie fails with vishnu.ErrHeadersWritten; one that needs none is
// persisted (with AutoSave) when the request ends, after the writer has
// returned (likewise for a hijack handler, and for fiber's ErrorHandler
// after a returned error). An error returned by the handler is rendered by fiber's
// Config.ErrorHandler after the chain; the session cookie goes out with
// that page.
//
// # Store failures
//
// When the session cannot be loaded or committed, the handler's response
// is replaced by the error response: vishnu.Config.ErrorResponse, or
// Options.ErrorHandler, which may return an error for fiber's
// Config.ErrorHandler to render. Headers set by middleware that ran before
// the session middleware (helmet, CORS) are kept.
//
// # Request size
//
// fasthttp's default ReadBufferSize of 4096 bytes answers 431 Request
// Header Fields Too Large to a request whose headers do not fit: with
// vishnu.NewCookieStore, whose cookie may reach 4096 bytes, set
// fiber.Config.ReadBufferSize to 8192 or more.
package vishnufiber
