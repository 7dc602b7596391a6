package vishnufiber_test

import (
	"bufio"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	vishnufiber "github.com/vishnu-go/vishnu/adapters/fiber"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// pathsApp serves, behind the session middleware (AutoSave on), routes
// that each set user=ada and answer through one of fiber's ways to write a
// response, and /get, which answers the user.
func pathsApp(t *testing.T) *browser {
	t.Helper()
	m := newManager(t, func(c *vishnu.Config) { c.AutoSave = true })
	app := newApp()
	app.Use(vishnufiber.Middleware(m))
	set := func(c *fiber.Ctx) error { return vishnufiber.Session(c).Set("user", "ada") }
	app.Get("/get", func(c *fiber.Ctx) error {
		user, _ := vishnu.Get[string](vishnufiber.Session(c), "user")
		return c.SendString("user=" + user)
	})
	routes := map[string]fiber.Handler{
		"/sendstring": func(c *fiber.Ctx) error { return c.SendString("sent") },
		"/json":       func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"ok": true}) },
		"/redirect":   func(c *fiber.Ctx) error { return c.Redirect("/get", fiber.StatusSeeOther) },
		"/sendstatus": func(c *fiber.Ctx) error { return c.SendStatus(fiber.StatusNoContent) },
		"/empty":      func(c *fiber.Ctx) error { return nil },
		"/sendstream": func(c *fiber.Ctx) error { return c.SendStream(strings.NewReader("streamed body")) },
		"/sendstreamsized": func(c *fiber.Ctx) error {
			return c.SendStream(strings.NewReader("streamed body"), len("streamed body"))
		},
		"/streamwriter": func(c *fiber.Ctx) error {
			c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
				for i := range 3 {
					_, _ = w.WriteString("chunk ")
					_ = w.WriteByte(byte('0' + i))
					_ = w.Flush()
				}
			})
			return nil
		},
		"/newerror": func(c *fiber.Ctx) error { return fiber.NewError(fiber.StatusTeapot, "short and stout") },
	}
	for path, h := range routes {
		app.Get(path, func(c *fiber.Ctx) error {
			if err := set(c); err != nil {
				return err
			}
			return h(c)
		})
	}
	return newBrowser(t, listen(t, app))
}

func TestWritePaths(t *testing.T) {
	cases := []struct {
		path   string
		status int
		body   string
	}{
		{"/sendstring", 200, "sent"},
		{"/json", 200, `{"ok":true}`},
		{"/redirect", 303, ""},
		{"/sendstatus", 204, ""},
		{"/empty", 200, ""},
		{"/sendstream", 200, "streamed body"},
		{"/sendstreamsized", 200, "streamed body"},
		{"/streamwriter", 200, "chunk 0chunk 1chunk 2"},
		{"/newerror", fiber.StatusTeapot, "short and stout"},
	}
	for _, tc := range cases {
		t.Run(strings.TrimPrefix(tc.path, "/"), func(t *testing.T) {
			b := pathsApp(t)
			r := b.get(tc.path)
			if r.status != tc.status || (tc.body != "" && r.body != tc.body) {
				t.Fatalf("GET %s: status %d, body %q; want %d, %q", tc.path, r.status, r.body, tc.status, tc.body)
			}
			if cs := r.sessionCookies("vishnu"); len(cs) != 1 {
				t.Fatalf("GET %s, which set a value in a new session: %d session Set-Cookie lines %q, want 1", tc.path, len(cs), cs)
			}
			if got := r.header.Get("Vary"); !strings.Contains(got, "Cookie") {
				t.Errorf("GET %s: Vary is %q, want it to name Cookie", tc.path, got)
			}
			if got := b.get("/get"); got.body != "user=ada" {
				t.Errorf("after GET %s the session holds %q, want user=ada", tc.path, got.body)
			}
		})
	}
}

// TestStreamWriterChanges: a stream writer runs after the commit point. A
// change there that needs a cookie (a new session) is an error the writer
// sees; one that needs none (an existing session, with AutoSave) is kept,
// committed when the request ends.
func TestStreamWriterChanges(t *testing.T) {
	m := newManager(t, func(c *vishnu.Config) { c.AutoSave = true })
	app := newApp()
	app.Use(vishnufiber.Middleware(m))
	app.Get("/establish", func(c *fiber.Ctx) error { return vishnufiber.Session(c).Set("user", "ada") })
	app.Get("/get", func(c *fiber.Ctx) error {
		s := vishnufiber.Session(c)
		user, _ := vishnu.Get[string](s, "user")
		late, _ := vishnu.Get[string](s, "late")
		return c.SendString(user + "," + late)
	})
	app.Get("/late", func(c *fiber.Ctx) error {
		s := vishnufiber.Session(c)
		c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
			// Wait for the commit point, as a writer that streams for a
			// while does, so that the change is late for sure.
			time.Sleep(50 * time.Millisecond)
			err := s.Set("late", "kept")
			if err != nil {
				_, _ = w.WriteString("error: " + err.Error())
				return
			}
			_, _ = w.WriteString("set")
		})
		return nil
	})
	b := newBrowser(t, listen(t, app))

	r := b.get("/late")
	if !strings.Contains(r.body, vishnu.ErrHeadersWritten.Error()) {
		t.Errorf("a stream writer that set a value in a new session got %q, want vishnu.ErrHeadersWritten", r.body)
	}
	if cs := r.sessionCookies("vishnu"); len(cs) > 0 {
		t.Errorf("a response whose session changed only after the commit point has a session cookie: %q", cs)
	}

	b.get("/establish")
	if r := b.get("/late"); r.body != "set" {
		t.Fatalf("a stream writer that set a value in an existing session got %q, want success", r.body)
	}
	if r := b.get("/get"); r.body != "ada,kept" {
		t.Errorf("after a stream writer set late=kept in an existing session (AutoSave), the session holds %q, want ada,kept: the change was lost", r.body)
	}
}

// TestErrorHandlerChanges: fiber's ErrorHandler renders a returned error
// after the chain; a change it makes to an existing session is kept too.
func TestErrorHandlerChanges(t *testing.T) {
	m := newManager(t, func(c *vishnu.Config) { c.AutoSave = true })
	app := fiber.New(fiber.Config{
		DisableStartupMessage: true,
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			if serr := vishnufiber.Session(c).Set("lastError", err.Error()); serr != nil {
				return c.Status(500).SendString("session: " + serr.Error())
			}
			return c.Status(fiber.StatusBadRequest).SendString("rendered: " + err.Error())
		},
	})
	app.Use(vishnufiber.Middleware(m))
	app.Get("/establish", func(c *fiber.Ctx) error { return vishnufiber.Session(c).Set("user", "ada") })
	app.Get("/fail", func(c *fiber.Ctx) error { return errors.New("bad input") })
	app.Get("/get", func(c *fiber.Ctx) error {
		v, _ := vishnu.Get[string](vishnufiber.Session(c), "lastError")
		return c.SendString(v)
	})
	b := newBrowser(t, listen(t, app))
	b.get("/establish")
	if r := b.get("/fail"); r.status != fiber.StatusBadRequest || r.body != "rendered: bad input" {
		t.Fatalf("GET /fail: %d %q", r.status, r.body)
	}
	if r := b.get("/get"); r.body != "bad input" {
		t.Errorf("a change made by fiber's ErrorHandler to an existing session was lost: the session holds %q", r.body)
	}
}

func TestPanicUnderRecover(t *testing.T) {
	for _, order := range []string{"recover-outside", "recover-inside"} {
		t.Run(order, func(t *testing.T) {
			m := newManager(t, func(c *vishnu.Config) { c.AutoSave = true })
			app := newApp()
			if order == "recover-outside" {
				app.Use(recover.New(), vishnufiber.Middleware(m))
			} else {
				app.Use(vishnufiber.Middleware(m), recover.New())
			}
			app.Get("/panic", func(c *fiber.Ctx) error {
				if err := vishnufiber.Session(c).Set("user", "ada"); err != nil {
					return err
				}
				panic("handler bug")
			})
			app.Get("/get", func(c *fiber.Ctx) error {
				user, _ := vishnu.Get[string](vishnufiber.Session(c), "user")
				return c.SendString("user=" + user)
			})
			b := newBrowser(t, listen(t, app))
			r := b.get("/panic")
			if r.status != fiber.StatusInternalServerError || r.body != "handler bug" {
				t.Fatalf("GET /panic: status %d, body %q; want fiber's 500 page for the panic", r.status, r.body)
			}
			// The session commits for the error page, as on net/http, where
			// the recovering middleware's write is the commit point.
			if cs := r.sessionCookies("vishnu"); len(cs) != 1 {
				t.Errorf("the error page of a panic after a session change has %d session cookies, want 1", len(cs))
			}
			if got := b.get("/get"); got.body != "user=ada" {
				t.Errorf("after the panic the session holds %q, want user=ada (the server must keep serving)", got.body)
			}
		})
	}
}

// TestStreamWriterFirstUse: a session first read by the stream writer, on
// its own goroutine, reads the request's cookie (run with -race).
func TestStreamWriterFirstUse(t *testing.T) {
	m := newManager(t, func(c *vishnu.Config) { c.AutoSave = true })
	app := newApp()
	app.Use(vishnufiber.Middleware(m))
	app.Get("/establish", func(c *fiber.Ctx) error { return vishnufiber.Session(c).Set("user", "ada") })
	app.Get("/read", func(c *fiber.Ctx) error {
		s := vishnufiber.Session(c) // not read yet
		c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
			user, _ := vishnu.Get[string](s, "user")
			_, _ = w.WriteString("user=" + user)
		})
		return nil
	})
	b := newBrowser(t, listen(t, app))
	b.get("/establish")
	for range 20 {
		if r := b.get("/read"); r.body != "user=ada" {
			t.Fatalf("a session first read in the stream writer: %q, want user=ada", r.body)
		}
	}
}
