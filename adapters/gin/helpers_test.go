package vishnugin_test

import (
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	vishnu "github.com/vishnu-go/vishnu/core"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode) // no debug line per route
	m.Run()
}

// testSecret is 32 bytes.
var testSecret = []byte("vishnugin-test-secret-0123456789")

// newManager returns a manager on a memory store, with an insecure cookie
// (the servers are plain HTTP on loopback) and AutoSave on, edited by edit.
func newManager(t *testing.T, edit func(*vishnu.Config)) *vishnu.Manager {
	t.Helper()
	cfg := vishnu.Config{
		Store:    vishnu.NewMemoryStore(),
		Secret:   testSecret,
		AutoSave: true,
		Cookie:   vishnu.CookieConfig{Insecure: true},
		Logger:   slog.New(slog.DiscardHandler),
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

// serve starts a real server of e on loopback and returns its URL.
func serve(t *testing.T, e *gin.Engine) string {
	t.Helper()
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv.URL
}

// serveServer is serve for tests that stop the server themselves.
func serveServer(e *gin.Engine) *httptest.Server { return httptest.NewServer(e) }

// newClient returns a client with a cookie jar, as a browser is, that does
// not follow redirects (the tests look at them).
func newClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Jar:           jar,
		Transport:     tr,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// reply is what a test needs of a response.
type reply struct {
	status int
	header http.Header
	body   string
}

// get GETs url with c and returns the whole response.
func get(t *testing.T, c *http.Client, url string) reply {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", url, err)
	}
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// sessionCookie returns the Set-Cookie line of the cookie named name, or "".
func (r reply) sessionCookie(name string) string {
	for _, l := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(l, name+"=") {
			return l
		}
	}
	return ""
}

// gzipMiddleware compresses responses for clients that accept gzip, the way
// gin's usual compression middleware does: it puts a writer of its own in
// c.Writer that compresses what the handler writes, flushes the compressor
// on Flush, and closes it (writing the gzip trailer) after the chain, so
// that it writes after the handler has returned. The Content-Encoding
// header is set on the first write, since an empty body is not valid gzip.
func gzipMiddleware(c *gin.Context) {
	if !strings.Contains(c.GetHeader("Accept-Encoding"), "gzip") {
		c.Next()
		return
	}
	c.Header("Vary", "Accept-Encoding")
	gz := &gzipWriter{ResponseWriter: c.Writer}
	c.Writer = gz
	defer func() {
		if gz.gz != nil {
			_ = gz.gz.Close()
		}
		c.Writer = gz.ResponseWriter
	}()
	c.Next()
}

type gzipWriter struct {
	gin.ResponseWriter
	gz *gzip.Writer
}

func (w *gzipWriter) Write(p []byte) (int, error) {
	if w.gz == nil {
		h := w.Header()
		h.Set("Content-Encoding", "gzip")
		h.Del("Content-Length")
		w.gz = gzip.NewWriter(w.ResponseWriter)
	}
	return w.gz.Write(p)
}

func (w *gzipWriter) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

func (w *gzipWriter) Flush() {
	if w.gz != nil {
		_ = w.gz.Flush()
	}
	w.ResponseWriter.Flush()
}
