package main

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/vishnu-go/vishnu/examples/pages"
)

// render sends the page.
func render(c echo.Context, d pages.Data) error {
	body, err := pages.Render(d)
	if err != nil {
		return err
	}
	// The page is one visitor's; no cache may keep it, and Back must not
	// show a flash again.
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.HTMLBlob(http.StatusOK, body)
}

// errorPage is the app's HTTPErrorHandler: an echo.HTTPError (404, 405)
// says what it is; any other error (a session that cannot be saved, a
// template that fails) is logged and answered with a plain 500 that shows
// nothing of it. The session's cookie is already in the headers: the
// middleware committed it before passing the error on.
func errorPage(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		code, msg := http.StatusInternalServerError, http.StatusText(http.StatusInternalServerError)
		if he, ok := errors.AsType[*echo.HTTPError](err); ok {
			code, msg = he.Code, http.StatusText(he.Code)
		} else {
			log.Error("request failed", "path", c.Path(), "err", err)
		}
		if err := c.String(code, msg+"\n"); err != nil {
			log.Warn("error page not sent", "err", err)
		}
	}
}
