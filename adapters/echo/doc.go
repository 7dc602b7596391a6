// Package vishnuecho makes Vishnu sessions native to echo v4: one
// middleware, one call to reach the session from an echo.Context, and a
// commit that happens just before the response headers go out, on every
// path echo has. For echo v5, use github.com/vishnu-go/vishnu/adapters/echov5
// (package vishnuechov5), which has the same API over *echo.Context.
//
// # Example
//
//	e := echo.New()
//	e.Use(middleware.Recover())
//	e.Use(vishnuecho.Middleware(m)) // m from vishnu.New
//	e.GET("/", func(c echo.Context) error {
//		s := vishnuecho.Session(c)
//		n, _ := vishnu.Get[int](s, "visits")
//		if err := s.Set("visits", n+1); err != nil {
//			return err
//		}
//		return c.String(http.StatusOK, fmt.Sprintf("visit %d\n", n+1))
//	})
//
// The session API is core's (package vishnu): Get, Set, Flash, Save,
// Regenerate, Destroy and the rest work as they do on net/http. The
// session is also in the request's context, for vishnu.FromContext.
//
// # When the session commits
//
// The middleware puts a writer under c.Response(), so the commit runs at
// the first of:
//   - a write of the response: WriteHeader or Write, whichever echo helper
//     makes it (c.String, c.JSON, c.HTML, c.Blob, c.Stream, c.NoContent,
//     c.Redirect, c.File...), and the writes of middleware that wrap the
//     writer (Gzip, BodyDump, Timeout);
//   - c.Response().Flush(), which sends the headers without calling
//     WriteHeader (and so without echo's Response.Before hooks);
//   - c.Response().Hijack(): the cookie is then in c.Response().Header(),
//     for a handshake that writes those headers (websocket libraries write
//     the header they are given);
//   - the return of the handler chain inside the middleware, when nothing
//     was written, so that echo's default empty 200 carries the cookie;
//   - the return of an error by the handler chain: the session commits
//     before the middleware passes the error on, so that the page echo's
//     HTTPErrorHandler renders for it carries the cookie. A change that
//     needs a new cookie, made by the error handler, fails with
//     vishnu.ErrHeadersWritten.
//
// A panic that passes through the middleware (middleware.Recover around it)
// commits nothing, as on net/http: the recovering middleware's page goes
// out without the session's cookie, and only what Save, Regenerate or
// Destroy wrote to the store before the panic stays written.
// Recover inside the middleware makes the panic an error page like any
// other, which commits.
//
// # When the session cannot be committed
//
// If the store fails (or the cookie-store data is too large, or a logout
// cannot be recorded), nothing of the handler's response goes out: its
// writes, flushes and hijacks fail with ErrResponseReplaced, and once the
// handler returns, the configured error response is sent in its place
// (Config.ErrorResponse, or Options.ErrorHandler for echo's own error path),
// without the headers the handler set but with those of outer middleware.
package vishnuecho
