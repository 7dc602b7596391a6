package vishnufiber_test

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	vishnufiber "github.com/vishnu-go/vishnu/adapters/fiber"
	"github.com/vishnu-go/vishnu/conformance"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// testReadBufferSize accepts the suite's 5000-byte cookie (and 8 KiB of
// request headers); fasthttp's default of 4096 answers 431 to it.
const testReadBufferSize = 16 << 10

// listen starts app on a loopback port and returns its base URL; the app
// is shut down when the test ends.
func listen(t testing.TB, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Listener(ln) }()
	t.Cleanup(func() {
		if err := app.ShutdownWithTimeout(5 * time.Second); err != nil {
			t.Errorf("fiber shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("fiber listener: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// newApp returns a fiber app configured as the tests serve it.
func newApp() *fiber.App {
	return fiber.New(fiber.Config{DisableStartupMessage: true, ReadBufferSize: testReadBufferSize})
}

// serveWith returns the conformance ServeFunc of a fiber app whose
// middleware are those of around, then the session middleware, then those
// of inside, in front of the suite's handler.
func serveWith(around, inside func() []fiber.Handler) conformance.ServeFunc {
	return func(t *testing.T, m *vishnu.Manager, h conformance.Handler) string {
		app := newApp()
		if around != nil {
			for _, mw := range around() {
				app.Use(mw)
			}
		}
		app.Use(vishnufiber.Middleware(m))
		if inside != nil {
			for _, mw := range inside() {
				app.Use(mw)
			}
		}
		app.Use(func(c *fiber.Ctx) error {
			return sendResponse(c, h(vishnufiber.Session(c), conformanceRequest(c)))
		})
		return listen(t, app)
	}
}

// conformanceRequest copies what the suite's handler needs out of c:
// fasthttp's buffers are reused after the request.
func conformanceRequest(c *fiber.Ctx) *conformance.Request {
	q, _ := url.ParseQuery(string(c.Context().URI().QueryString()))
	return &conformance.Request{Method: strings.Clone(c.Method()), Path: strings.Clone(c.Path()), Query: q}
}

// sendResponse writes a conformance Response as fiber handlers do: nil is
// a handler that writes nothing, ErrorStatus a returned fiber.NewError, and
// a streamed response (or one flushed first) goes through
// SetBodyStreamWriter, flushed chunk by chunk.
func sendResponse(c *fiber.Ctx, resp *conformance.Response) error {
	if resp == nil {
		return nil
	}
	if resp.ErrorStatus != 0 {
		return fiber.NewError(resp.ErrorStatus)
	}
	for k, values := range resp.Header {
		for _, v := range values {
			c.Response().Header.Add(k, v)
		}
	}
	if !resp.FlushFirst {
		status := resp.Status
		if status == 0 {
			status = http.StatusOK
		}
		c.Status(status)
		if resp.Chunks == nil {
			if len(resp.Body) == 0 {
				return nil
			}
			return c.Send(resp.Body)
		}
	}
	body, chunks, flushFirst := resp.Body, resp.Chunks, resp.FlushFirst
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		if flushFirst && w.Flush() != nil {
			return
		}
		_, _ = w.Write(body)
		if w.Flush() != nil || chunks == nil {
			return
		}
		for chunk := range chunks {
			_, _ = w.Write(chunk)
			if w.Flush() != nil {
				return
			}
		}
	})
	return nil
}

// browser is a real client with a cookie jar.
type browser struct {
	t      testing.TB
	base   string
	client *http.Client
}

func newBrowser(t testing.TB, base string) *browser {
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	return &browser{t: t, base: base, client: &http.Client{
		Jar: jar, Transport: tr, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type reply struct {
	status int
	header http.Header
	body   string
}

// get requests path and returns the whole response.
func (b *browser) get(path string) reply {
	b.t.Helper()
	return b.do(http.MethodGet, path, nil)
}

func (b *browser) do(method, path string, header http.Header) reply {
	b.t.Helper()
	req, err := http.NewRequest(method, b.base+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

// sessionCookies returns the Set-Cookie lines of r for the cookie name.
func (r reply) sessionCookies(name string) []string {
	var out []string
	for _, line := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(line, name+"=") {
			out = append(out, line)
		}
	}
	return out
}

// newManager returns a Manager over a memory store with plain-HTTP cookies.
func newManager(t testing.TB, edit func(*vishnu.Config)) *vishnu.Manager {
	t.Helper()
	cfg := vishnu.Config{
		Store:  vishnu.NewMemoryStore(),
		Secret: []byte("a test secret of at least thirty-two bytes"),
		Cookie: vishnu.CookieConfig{Insecure: true},
		Logger: slog.New(slog.DiscardHandler),
	}
	if edit != nil {
		edit(&cfg)
	}
	m, err := vishnu.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// post sends body to path and returns the whole response.
func (b *browser) post(path, body string) reply {
	b.t.Helper()
	resp, err := b.client.Post(b.base+path, "text/plain", strings.NewReader(body))
	if err != nil {
		b.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatalf("POST %s: reading the body: %v", path, err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: string(data)}
}
