package vishnufiber_test

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"
	vishnufiber "github.com/vishnu-go/vishnu/adapters/fiber"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// loginApp serves /login, which logs the session in as ada, over loopback.
func loginApp(t *testing.T, m *vishnu.Manager) *browser {
	t.Helper()
	app := newApp()
	app.Use(vishnufiber.Middleware(m))
	app.Get("/login", func(c *fiber.Ctx) error {
		if err := vishnufiber.Session(c).Login("ada", "laptop"); err != nil {
			return err
		}
		return c.SendString("in")
	})
	return newBrowser(t, listen(t, app))
}

// onlySession returns ada's one session as UserSessions lists it.
func onlySession(t *testing.T, m *vishnu.Manager) vishnu.UserSession {
	t.Helper()
	list, err := m.UserSessions(context.Background(), "ada", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("ada has %d sessions, want 1: %+v", len(list), list)
	}
	return list[0]
}

// TestLoginRecordsClient: a Login through fiber records the client's IP
// (the connection's peer, by default) and its User-Agent.
func TestLoginRecordsClient(t *testing.T) {
	m := newManager(t, nil)
	b := loginApp(t, m)
	if r := b.do(http.MethodGet, "/login", http.Header{"User-Agent": {"Client/1.0 (loopback)"}}); r.body != "in" {
		t.Fatalf("GET /login: %d %q", r.status, r.body)
	}
	us := onlySession(t, m)
	if us.IP != "127.0.0.1" || us.UserAgent != "Client/1.0 (loopback)" {
		t.Errorf("recorded IP %q and User-Agent %q, want 127.0.0.1 and Client/1.0 (loopback)", us.IP, us.UserAgent)
	}
}

// TestLoginRecordsConfigClientIP: Config.ClientIP decides the IP on fiber
// as on net/http, from a net/http view of the request: its headers, and
// the connection's peer as RemoteAddr.
func TestLoginRecordsConfigClientIP(t *testing.T) {
	m := newManager(t, func(c *vishnu.Config) {
		c.ClientIP = func(r *http.Request) string {
			return r.Header.Get("X-Forwarded-For") + "|" + vishnu.RemoteIP(r) + "|" + r.Method + " " + r.Host + r.URL.Path
		}
	})
	b := loginApp(t, m)
	host := b.base[len("http://"):]
	b.do(http.MethodGet, "/login", http.Header{"X-Forwarded-For": {"203.0.113.7"}, "User-Agent": {"Proxied/2"}})
	us := onlySession(t, m)
	if want := "203.0.113.7|127.0.0.1|GET " + host + "/login"; us.IP != want || us.UserAgent != "Proxied/2" {
		t.Errorf("recorded IP %q and User-Agent %q, want %q and Proxied/2", us.IP, us.UserAgent, want)
	}
}

// TestLoginOnAnotherGoroutine: a Login on a goroutine the handler started,
// while the handler reads and changes its request's headers, as fiber
// allows: the session must not read fasthttp's request header there. Run
// with -race, which reports it.
func TestLoginOnAnotherGoroutine(t *testing.T) {
	m := newManager(t, nil)
	app := newApp()
	app.Use(vishnufiber.Middleware(m))
	app.Get("/login", func(c *fiber.Ctx) error {
		s := vishnufiber.Session(c)
		var err error
		var wg sync.WaitGroup
		wg.Go(func() { err = s.Login("ada", "phone") })
		for i := range 50 {
			c.Request().Header.Set("X-Handler", strconv.Itoa(i))
			_ = c.Get(fiber.HeaderUserAgent)
		}
		wg.Wait()
		if err != nil {
			return err
		}
		return c.SendString("in")
	})
	b := newBrowser(t, listen(t, app))
	r := b.do(http.MethodGet, "/login", http.Header{"User-Agent": {"Phone/3"}, "Cookie": {"theme=dark"}})
	if r.body != "in" {
		t.Fatalf("GET /login: %d %q", r.status, r.body)
	}
	if us := onlySession(t, m); us.IP != "127.0.0.1" || us.UserAgent != "Phone/3" {
		t.Errorf("recorded IP %q and User-Agent %q, want 127.0.0.1 and Phone/3", us.IP, us.UserAgent)
	}
}
