package main

import (
	"errors"
	"log/slog"

	"github.com/gofiber/fiber/v2"
	"github.com/vishnu-go/vishnu/examples/pages"
)

// render sends the page.
func render(c *fiber.Ctx, d pages.Data) error {
	body, err := pages.Render(d)
	if err != nil {
		return err
	}
	c.Type("html", "utf-8")
	// The page is one visitor's; no cache may keep it, and Back must not
	// show a flash again.
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(body)
}

// errorPage is the app's fiber ErrorHandler: a fiber.Error (404, 405) says
// what it is; any other error (a session that cannot be saved, a template
// that fails) is logged and answered with a plain 500 that shows nothing
// of it.
func errorPage(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		if fe, ok := errors.AsType[*fiber.Error](err); ok {
			return c.Status(fe.Code).SendString(fe.Message)
		}
		log.Error("request failed", "path", c.Path(), "err", err)
		return c.Status(fiber.StatusInternalServerError).SendString("Internal Server Error")
	}
}

// sameOrigin refuses unsafe requests that a browser says come from another
// site (Sec-Fetch-Site, or else an Origin other than this host), as
// net/http's CrossOriginProtection does. Requests without either header do
// not come from a browser form and pass.
func sameOrigin(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if site := c.Get("Sec-Fetch-Site"); site != "" {
		if site != "same-origin" && site != "none" {
			return fiber.NewError(fiber.StatusForbidden, "cross-origin request refused")
		}
		return c.Next()
	}
	if origin := c.Get(fiber.HeaderOrigin); origin != "" && origin != c.Protocol()+"://"+c.Hostname() {
		return fiber.NewError(fiber.StatusForbidden, "cross-origin request refused")
	}
	return c.Next()
}
