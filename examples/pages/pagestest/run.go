package pagestest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
	"github.com/vishnu-go/vishnu/examples/pages"
)

// Secret is a 32-byte session secret for the apps under test.
const Secret = "0123456789abcdef0123456789abcdef"

// RunFunc is an app's run, what its main calls (see pages.RunFunc).
type RunFunc = pages.RunFunc

// StartRun returns a Start that runs the app as main does (run, on a
// loopback port, with Secret) and stops it with t.Cleanup, expecting a
// clean shutdown.
func StartRun(run RunFunc) Start {
	return func(t *testing.T) string {
		t.Helper()
		log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
		base, stop := startRun(t, run, Secret, log)
		t.Cleanup(stop)
		return base
	}
}

// startRun runs run on a loopback port and returns its base URL and a stop
// that ends it and checks that it shut down cleanly.
func startRun(t *testing.T, run RunFunc, secret string, log *slog.Logger) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, "127.0.0.1:0", secret, log, func(a net.Addr) { addrs <- a }) }()
	var addr net.Addr
	select {
	case addr = <-addrs:
	case err := <-done:
		cancel()
		t.Fatalf("run returned before listening: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("run did not start listening")
	}
	stop := func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run after shutdown: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("run did not shut down")
		}
	}
	return "http://" + addr.String(), stop
}

// Run checks an app's run: a short secret is the constructor's error, and
// with a random secret it starts on a free port, answers, and stops
// cleanly when its context is done.
func Run(t *testing.T, run RunFunc) {
	t.Helper()
	var ce *vishnu.ConfigError
	if err := run(t.Context(), "127.0.0.1:0", "too short", slog.New(slog.DiscardHandler), nil); !errors.As(err, &ce) {
		t.Errorf("run with a short secret: %v; want the constructor's error", err)
	}

	base, stop := startRun(t, run, "", slog.New(slog.NewTextHandler(t.Output(), nil)))
	tr := &http.Transport{}
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(base + "/")
	if err != nil {
		stop()
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	tr.CloseIdleConnections()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `id="visits">1<`) || SessionCookie(resp) == nil {
		t.Errorf("GET /: %s, cookie %v\n%s", resp.Status, SessionCookie(resp), body)
	}
	stop()
}
