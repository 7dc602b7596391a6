package vishnuecho_test

import (
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// startEcho serves e with echo's own server on a loopback port, and stops it
// with t.Cleanup. It returns the base URL.
func startEcho(t *testing.T, e *echo.Echo) string {
	t.Helper()
	e.HideBanner, e.HidePort = true, true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.Listener = ln
	done := make(chan error, 1)
	go func() { done <- e.Start("") }()
	t.Cleanup(func() {
		_ = e.Close()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				t.Errorf("echo server: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("echo server did not stop")
		}
	})
	return "http://" + ln.Addr().String()
}
