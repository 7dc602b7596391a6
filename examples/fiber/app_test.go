package main

import (
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vishnu-go/vishnu/examples/pages/pagestest"
)

// newTestServer serves the app, configured as main configures it, on a
// loopback port, with fiber's own listener, and returns its URL.
func newTestServer(t *testing.T) string {
	t.Helper()
	app := newApp(pagestest.Manager(t), slog.New(slog.NewTextHandler(t.Output(), nil)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Listener(ln) }()
	t.Cleanup(func() {
		if err := app.ShutdownWithTimeout(5 * time.Second); err != nil {
			t.Error(err)
		}
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return "http://" + ln.Addr().String()
}

// TestStories walks the app through the stories every example app passes.
func TestStories(t *testing.T) { pagestest.All(t, newTestServer) }

// run, main's server, refuses a short secret, starts on a free port,
// answers, and stops cleanly.
func TestRun(t *testing.T) { pagestest.Run(t, run) }

// A browser with other large cookies for the site still gets the page:
// ReadBufferSize 8192 takes them, where fasthttp's default 4096 answers
// 431 Request Header Fields Too Large.
func TestLargeCookieHeader(t *testing.T) {
	b := pagestest.NewBrowser(t, newTestServer(t))
	b.Home()
	b.Jar.SetCookies(b.Base, []*http.Cookie{{Name: "prefs", Value: strings.Repeat("x", 4500), Path: "/"}})
	pagestest.Expect(t, b.Home(), map[string]string{"visits": "2", "is-new": "no"})
}
