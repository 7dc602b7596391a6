package vishnufiber_test

import (
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	vishnufiber "github.com/vishnu-go/vishnu/adapters/fiber"
)

// TestUnusedSessionAllocatesNothing: a request that never asks for its
// session costs no allocation, as the middleware promises. The same page is
// served with and without the middleware, in memory on one RequestCtx (the
// count of a loopback server would include the network's own allocations),
// and the middleware must add none: neither the request's state nor a copy
// of a response header that holds nothing but fasthttp's default
// Content-Type.
func TestUnusedSessionAllocatesNothing(t *testing.T) {
	allocs := func(app *fiber.App) float64 {
		app.Get("/plain", func(c *fiber.Ctx) error { return c.SendString("plain") })
		h := app.Handler()
		var ctx fasthttp.RequestCtx
		var req fasthttp.Request
		ctx.Init(&req, nil, nil)
		serve := func() {
			ctx.Request.Reset()
			ctx.Request.SetRequestURI("/plain")
			ctx.Response.Reset()
			h(&ctx)
		}
		serve()
		if got := string(ctx.Response.Body()); got != "plain" {
			t.Fatalf("GET /plain in memory: body %q, want plain", got)
		}
		return testing.AllocsPerRun(200, serve)
	}
	bare := allocs(newApp())
	app := newApp()
	app.Use(vishnufiber.Middleware(newManager(t, nil)))
	with := allocs(app)
	if with > bare {
		t.Errorf("a request that never used its session: %v allocations with the middleware, %v without; want no more", with, bare)
	}
}
