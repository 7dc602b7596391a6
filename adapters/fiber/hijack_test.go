package vishnufiber_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	vishnufiber "github.com/vishnu-go/vishnu/adapters/fiber"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// TestHijack: fasthttp runs a hijack handler after the response has been
// written; a change it makes to an existing session (AutoSave) is kept,
// committed when the request ends, after the handler.
func TestHijack(t *testing.T) {
	m := newManager(t, func(c *vishnu.Config) { c.AutoSave = true })
	app := newApp()
	app.Use(vishnufiber.Middleware(m))
	app.Get("/establish", func(c *fiber.Ctx) error { return vishnufiber.Session(c).Set("user", "ada") })
	app.Get("/hijack", func(c *fiber.Ctx) error {
		s := vishnufiber.Session(c)
		c.Context().Hijack(func(conn net.Conn) {
			err := s.Set("late", "kept")
			fmt.Fprintf(conn, "hijacked: %v\n", err)
		})
		return c.SendString("before the hijack\n")
	})
	app.Get("/get", func(c *fiber.Ctx) error {
		v, _ := vishnu.Get[string](vishnufiber.Session(c), "late")
		return c.SendString(v)
	})
	base := listen(t, app)
	b := newBrowser(t, base)
	b.get("/establish")
	u, _ := url.Parse(base)
	var cookie string
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "vishnu" {
			cookie = c.Value
		}
	}
	if cookie == "" {
		t.Fatal("no session cookie after /establish")
	}

	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET /hijack HTTP/1.1\r\nHost: %s\r\nCookie: vishnu=%s\r\n\r\n", u.Host, cookie)
	all, err := io.ReadAll(bufio.NewReader(conn)) // fasthttp closes the connection after the hijack handler
	if err != nil {
		t.Fatal(err)
	}
	if got := string(all); !strings.Contains(got, "before the hijack") || !strings.Contains(got, "hijacked: <nil>") {
		t.Fatalf("the hijacked connection got %q; want the response, then the hijack handler's line without an error", got)
	}
	// fasthttp closes the connection, then ends the request: the change
	// is committed a moment after the client sees the end.
	deadline := time.Now().Add(2 * time.Second)
	for {
		got := b.get("/get").body
		if got == "kept" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a change made in a hijack handler to an existing session was lost: the session holds late=%q", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
