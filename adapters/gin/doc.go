// Package vishnugin is the gin adapter of Vishnu's sessions: a gin
// middleware that gives each request a session, and commits it at the
// right moment on every path gin has.
//
//	r := gin.New()
//	r.Use(gin.Recovery(), vishnugin.Middleware(m))
//	r.GET("/", func(c *gin.Context) {
//		s := vishnugin.Session(c)
//		...
//	})
//
// The session API is core's (package github.com/vishnu-go/vishnu/core):
// Get, Set, Flash, Regenerate, Destroy, SetTimeout. Session(c) returns nil
// outside the middleware, and a nil session's methods return
// vishnu.ErrNoSession rather than panic. vishnu.FromContext works on
// c.Request.Context(), and on c itself when the engine sets
// ContextWithFallback.
//
// # When the session commits
//
// The commit point (AutoSave, the expiry refresh, the Set-Cookie header)
// runs just before the response headers really go out. gin's writer only
// records the status in WriteHeader and sends the headers in
// WriteHeaderNow, the first Write or WriteString, Flush, or Hijack; the
// middleware's writer runs the commit point in each of those, so c.String,
// c.JSON, c.HTML, c.Data, c.Render, c.AbortWithStatus,
// c.AbortWithStatusJSON, c.Redirect, c.Stream, c.SSEvent, c.File,
// c.DataFromReader and a websocket upgrade all carry the cookie. A handler
// that writes nothing (c.Status alone, or an error left in c.Errors for an
// outer middleware to render) is committed when the chain returns, before
// gin sends its headers. The body is never buffered.
//
// # When the store fails
//
// If the session cannot be loaded or committed, the request gets the
// manager's error response (vishnu.Config.ErrorResponse, or
// Options.ErrorHandler with gin's own types) instead of the handler's: its
// status, headers and body, sent through gin with c.Abort, and the error in
// c.Errors. None of the handler's headers go out; those set by middleware
// outside the session middleware do. The handler's writes after that fail.
// A change made after the headers went out that would need a new cookie
// fails with vishnu.ErrHeadersWritten from the call that made it.
//
// # Middleware order
//
// Put the session middleware after gin.Recovery and gin.Logger (so that
// the log shows the status that went out, error response included) and
// before the routes that use sessions; on a route group, with
// group.Use, to give sessions to that group only. Several managers (with
// different cookie names) may run side by side: SessionOf(c, m) picks one.
// A handler that panics commits nothing: a gin.Recovery outside the session
// middleware answers with its 500, without the session cookie, and the
// session's changes are dropped; a gin.Recovery inside it answers through
// it, and that 500 commits the session like any response.
package vishnugin
