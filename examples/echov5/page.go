package main

import (
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v5"
	"github.com/vishnu-go/vishnu/examples/pages"
)

// render sends the page.
func render(c *echo.Context, d pages.Data) error {
	body, err := pages.Render(d)
	if err != nil {
		return err
	}
	// The page is one visitor's; no cache may keep it, and Back must not
	// show a flash again.
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.HTMLBlob(http.StatusOK, body)
}

// errorPage is the app's HTTPErrorHandler: an error that carries a status
// (echo's 404 and 405, an echo.HTTPError) says what it is; any other error
// (a session that cannot be saved, a template that fails, a recovered
// panic) is logged and answered with a plain 500 that shows nothing of it.
// The session's cookie is already in the headers: the middleware committed
// it before passing the error on.
func errorPage(log *slog.Logger) echo.HTTPErrorHandler {
	return func(c *echo.Context, err error) {
		if r, _ := echo.UnwrapResponse(c.Response()); r != nil && r.Committed {
			return
		}
		// echo.StatusCode, not a type assertion: echo v5's ErrNotFound and
		// ErrMethodNotAllowed are not *echo.HTTPError.
		code := echo.StatusCode(err)
		if code == 0 {
			code = http.StatusInternalServerError
			log.Error("request failed", "path", c.Path(), "err", err)
		}
		if err := c.String(code, http.StatusText(code)+"\n"); err != nil {
			log.Warn("error page not sent", "err", err)
		}
	}
}
