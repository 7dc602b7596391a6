package vishnuechov5_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/labstack/echo/v5"
)

// startEcho serves e with echo's own server (echo.StartConfig) on a
// loopback port, and stops it with t.Cleanup. It returns the base URL.
func startEcho(t *testing.T, e *echo.Echo) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	sc := echo.StartConfig{Listener: ln, HideBanner: true, HidePort: true, GracefulTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() { done <- sc.Start(ctx, e) }()
	t.Cleanup(func() {
		stop()
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
