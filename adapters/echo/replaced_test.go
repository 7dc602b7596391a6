package vishnuecho_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	vishnuecho "github.com/vishnu-go/vishnu/adapters/echo"
)

// What echo's Response reports to outer middleware (a logger, say) is the
// error response that went out, not the handler's answer it replaced.
func TestReplacedResponseAsEchoReportsIt(t *testing.T) {
	m := cookieManager(t, nil)
	e := echo.New()
	var status int
	var size int64
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			err := next(c)
			status, size = c.Response().Status, c.Response().Size
			return err
		}
	}, vishnuecho.Middleware(m))
	e.GET("/", func(c echo.Context) error {
		_ = vishnuecho.Session(c).Set("big", strings.Repeat("x", 20000)) // too large for the cookie store
		return c.String(http.StatusCreated, "the handler's own answer, longer than the error")
	})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	a := newClient(t, srv.URL).get("/")
	if a.status != errStatus || a.body != errBody {
		t.Fatalf("got %d %q, want the error response", a.status, a.body)
	}
	if status != errStatus || size != int64(len(errBody)) {
		t.Errorf("echo's Response reports %d and %d bytes, want %d and %d", status, size, errStatus, len(errBody))
	}
}

// 101 Switching Protocols commits the session: its cookie goes out with it.
func TestSwitchingProtocolsCommits(t *testing.T) {
	m := cookieManager(t, nil)
	e := echo.New()
	e.Use(vishnuecho.Middleware(m))
	e.GET("/upgrade", func(c echo.Context) error {
		if err := vishnuecho.Session(c).Set("k", "v"); err != nil {
			return err
		}
		c.Response().Header().Set("Connection", "Upgrade")
		c.Response().Header().Set("Upgrade", "test")
		c.Response().WriteHeader(http.StatusSwitchingProtocols)
		conn, rw, err := http.NewResponseController(c.Response()).Hijack()
		if err != nil {
			return err
		}
		_ = rw.Flush()
		return conn.Close()
	})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || sessionCookie(resp.Header, m) == "" {
		t.Errorf("got %d with Set-Cookie %q, want 101 with the session cookie", resp.StatusCode, resp.Header.Values("Set-Cookie"))
	}
}
