package vishnu_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// With AutoSave off, a change never saved is dropped, and said so once per
// request at Debug level.
func TestUnsavedChangeIsLoggedOnce(t *testing.T) {
	cfg, _ := testConfig(newClock())
	cfg.AutoSave = false
	var logs syncBuffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b := newBrowser(t, serve(t, newManager(t, cfg), app()))
	b.expect("/set?k=a&v=1", "ok")
	b.expect("/get?k=a", "false:")
	if n := strings.Count(logs.String(), "changed but not saved"); n != 1 {
		t.Errorf("the unsaved change was logged %d times:\n%s", n, logs.String())
	}
}

// A Secure cookie set over plain HTTP to a host that is not loopback is
// dropped by browsers: the manager warns once.
func TestSecureCookieOverPlainHTTPWarnsOnce(t *testing.T) {
	cfg, _ := testConfig(newClock())
	cfg.Cookie.Insecure = false
	var logs syncBuffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	h := newManager(t, cfg).Handler(app())
	for _, host := range []string{"localhost:8080", "127.0.0.1", "[::1]:80", "myapp.test", "myapp.test"} {
		req := httptest.NewRequest("GET", "http://"+host+"/set?k=a&v=1", nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatal(rec.Code)
		}
	}
	out := logs.String()
	if n := strings.Count(out, "set on a plain-HTTP request"); n != 1 || !strings.Contains(out, "host=myapp.test") {
		t.Errorf("want one warning naming myapp.test, got:\n%s", out)
	}
}
