package vishnufiber_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
	vishnufiber "github.com/vishnu-go/vishnu/adapters/fiber"
	vishnu "github.com/vishnu-go/vishnu/core"
)

func TestNoMiddleware(t *testing.T) {
	app := newApp()
	app.Get("/", func(c *fiber.Ctx) error {
		s := vishnufiber.Session(c)
		if s != nil {
			return c.SendString("a session without the middleware")
		}
		if err := s.Set("k", "v"); !errors.Is(err, vishnu.ErrNoSession) {
			return c.SendString(fmt.Sprintf("Set on the nil session: %v", err))
		}
		return c.SendString("ok")
	})
	if r := newBrowser(t, listen(t, app)).get("/"); r.body != "ok" {
		t.Error(r.body)
	}
}

// TestNilManager: a nil Manager is a set-up mistake, reported where the
// middleware is made (with the function's name), never at request time.
func TestNilManager(t *testing.T) {
	for name, make := range map[string]func(){
		"Middleware":            func() { vishnufiber.Middleware(nil) },
		"MiddlewareWithOptions": func() { vishnufiber.MiddlewareWithOptions(nil, vishnufiber.Options{}) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.HasPrefix(msg, "vishnufiber: Middleware") || !strings.Contains(msg, "nil *vishnu.Manager") {
					t.Errorf("%s(nil) panicked with %q; want a panic naming vishnufiber.Middleware and the nil Manager", name, msg)
				}
			}()
			make()
		})
	}
}

// TestSeveralManagers: two managers side by side, each with its cookie;
// Session is the innermost one's, SessionOf picks; the same manager twice
// in one chain gives one session.
func TestSeveralManagers(t *testing.T) {
	a := newManager(t, func(c *vishnu.Config) { c.Cookie.Name = "a"; c.AutoSave = true })
	b := newManager(t, func(c *vishnu.Config) { c.Cookie.Name = "b"; c.AutoSave = true })
	app := newApp()
	app.Use(vishnufiber.Middleware(a), vishnufiber.Middleware(b), vishnufiber.Middleware(a))
	app.Get("/set", func(c *fiber.Ctx) error {
		if vishnufiber.Session(c) != vishnufiber.SessionOf(c, b) || vishnufiber.SessionOf(c, a) == vishnufiber.SessionOf(c, b) {
			return c.SendString("wrong sessions")
		}
		_ = vishnufiber.SessionOf(c, a).Set("k", "from a")
		_ = vishnufiber.SessionOf(c, b).Set("k", "from b")
		return nil
	})
	app.Get("/get", func(c *fiber.Ctx) error {
		va, _ := vishnu.Get[string](vishnufiber.SessionOf(c, a), "k")
		vb, _ := vishnu.Get[string](vishnufiber.SessionOf(c, b), "k")
		return c.SendString(va + "|" + vb)
	})
	br := newBrowser(t, listen(t, app))
	r := br.get("/set")
	if r.body != "" || len(r.sessionCookies("a")) != 1 || len(r.sessionCookies("b")) != 1 {
		t.Fatalf("body %q, Set-Cookie %q: want one cookie of each manager", r.body, r.header.Values("Set-Cookie"))
	}
	if got := br.get("/get").body; got != "from a|from b" {
		t.Errorf("the sessions hold %q, want from a|from b", got)
	}
}

// TestConcurrentRequests: requests in flight at once on one session, run
// with -race, each setting its own key while others read; none is lost.
func TestConcurrentRequests(t *testing.T) {
	m := newManager(t, func(c *vishnu.Config) { c.AutoSave = true })
	app := newApp()
	app.Use(vishnufiber.Middleware(m))
	app.Get("/set", func(c *fiber.Ctx) error {
		s := vishnufiber.Session(c)
		_ = s.Keys()
		return s.Set("k"+c.Query("i"), c.Query("i"))
	})
	app.Get("/count", func(c *fiber.Ctx) error {
		return c.SendString(fmt.Sprint(len(vishnufiber.Session(c).Keys())))
	})
	b := newBrowser(t, listen(t, app))
	b.get("/set?i=seed")
	const n = 64
	var wg sync.WaitGroup
	errs := make(chan string, 2*n)
	for i := range n {
		wg.Go(func() {
			if r := b.get(fmt.Sprintf("/set?i=%d", i)); r.status != http.StatusOK {
				errs <- fmt.Sprintf("set %d: status %d %q", i, r.status, r.body)
			}
		})
		wg.Go(func() {
			if r := b.get("/count"); r.status != http.StatusOK {
				errs <- fmt.Sprintf("count: status %d %q", r.status, r.body)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if got := b.get("/count").body; got != fmt.Sprint(n+1) {
		t.Errorf("after %d concurrent writers the session holds %s keys, want %d", n, got, n+1)
	}
}

func TestNextSkips(t *testing.T) {
	m := newManager(t, func(c *vishnu.Config) { c.AutoSave = true })
	app := newApp()
	app.Use(vishnufiber.MiddlewareWithOptions(m, vishnufiber.Options{
		Next: func(c *fiber.Ctx) bool { return strings.HasPrefix(c.Path(), "/static/") },
	}))
	app.Get("/*", func(c *fiber.Ctx) error {
		if err := vishnufiber.Session(c).Set("k", "v"); err != nil {
			return c.SendString(err.Error())
		}
		return c.SendString("set")
	})
	b := newBrowser(t, listen(t, app))
	if r := b.get("/static/app.css"); r.body != vishnu.ErrNoSession.Error() || len(r.sessionCookies("vishnu")) > 0 {
		t.Errorf("a request skipped by Next: body %q, Set-Cookie %q; want no session", r.body, r.header.Values("Set-Cookie"))
	}
	if r := b.get("/page"); r.body != "set" || len(r.sessionCookies("vishnu")) != 1 {
		t.Errorf("a request not skipped: body %q, Set-Cookie %q; want a session", r.body, r.header.Values("Set-Cookie"))
	}
}

// TestReusedRequestCtx: a harness that serves app.Handler() on one
// RequestCtx without fasthttp's reset between requests (as fasthttp's
// in-memory benchmarks do) leaves the last request's state in the Locals;
// the next request gets a session of its own all the same.
func TestReusedRequestCtx(t *testing.T) {
	m := newManager(t, func(c *vishnu.Config) { c.AutoSave = true })
	app := newApp()
	app.Use(vishnufiber.Middleware(m))
	app.Get("/set", func(c *fiber.Ctx) error { return vishnufiber.Session(c).Set("user", c.Query("v")) })
	app.Get("/get", func(c *fiber.Ctx) error {
		v, _ := vishnu.Get[string](vishnufiber.Session(c), "user")
		return c.SendString(v)
	})
	h := app.Handler()
	var ctx fasthttp.RequestCtx
	var req fasthttp.Request
	ctx.Init(&req, nil, nil)
	serve := func(uri, cookie string) (body, setCookie string) {
		ctx.Request.Reset()
		ctx.Request.SetRequestURI(uri)
		if cookie != "" {
			ctx.Request.Header.Set("Cookie", cookie)
		}
		ctx.Response.Reset()
		h(&ctx)
		if n := len(ctx.Response.Header.PeekAll("Set-Cookie")); n > 0 {
			line := string(ctx.Response.Header.PeekAll("Set-Cookie")[0])
			setCookie, _, _ = strings.Cut(line, ";")
		}
		return string(ctx.Response.Body()), setCookie
	}
	_, first := serve("/set?v=ada", "")
	_, second := serve("/set?v=grace", "")
	if first == "" || second == "" || first == second {
		t.Fatalf("two new sessions on one reused RequestCtx: cookies %q and %q, want two different ones", first, second)
	}
	if got, _ := serve("/get", first); got != "ada" {
		t.Errorf("the first session holds %q, want ada", got)
	}
	if got, _ := serve("/get", second); got != "grace" {
		t.Errorf("the second session holds %q, want grace", got)
	}
}

// TestFirstUseAfterTheChain: a session first used after the commit point,
// by fiber's ErrorHandler or by a middleware further out once its c.Next()
// has returned, reads its cookie as any other, also when a middleware in
// front had set headers (the request's state is then made at once,
// without its session).
func TestFirstUseAfterTheChain(t *testing.T) {
	m := newManager(t, func(c *vishnu.Config) { c.AutoSave = true })
	app := fiber.New(fiber.Config{
		DisableStartupMessage: true,
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			user, _ := vishnu.Get[string](vishnufiber.Session(c), "user")
			return c.Status(fiber.StatusTeapot).SendString("user=" + user)
		},
	})
	app.Use(func(c *fiber.Ctx) error {
		c.Set("X-Frame-Options", "DENY")
		if err := c.Next(); err != nil {
			return err
		}
		user, _ := vishnu.Get[string](vishnufiber.Session(c), "user")
		c.Set("X-User", user)
		return nil
	})
	app.Use(vishnufiber.Middleware(m))
	app.Get("/establish", func(c *fiber.Ctx) error { return vishnufiber.Session(c).Set("user", "ada") })
	app.Get("/fail", func(c *fiber.Ctx) error { return errors.New("untouched, then failed") })
	app.Get("/untouched", func(c *fiber.Ctx) error { return c.SendString("ok") })
	b := newBrowser(t, listen(t, app))
	b.get("/establish")
	if r := b.get("/fail"); r.status != fiber.StatusTeapot || r.body != "user=ada" {
		t.Errorf("fiber's ErrorHandler, first to use the session: status %d, body %q; want 418 and user=ada", r.status, r.body)
	}
	if r := b.get("/untouched"); r.header.Get("X-User") != "ada" {
		t.Errorf("a middleware further out, first to use the session after c.Next(): X-User %q, want ada", r.header.Get("X-User"))
	}
}
