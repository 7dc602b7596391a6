package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vishnu-go/vishnu/examples/pages/pagestest"
)

// startApp runs the app as main does (run, on a loopback port) and stops it
// gracefully when the test ends.
var startApp = pagestest.StartRun(run)

// TestStories walks the app through the stories every example app passes.
func TestStories(t *testing.T) { pagestest.All(t, startApp) }

// run, main's server, refuses a short secret, starts on a free port,
// answers, and stops cleanly.
func TestRun(t *testing.T) { pagestest.Run(t, run) }

// The page goes out with echo's secure headers and is never cached.
func TestPageHeaders(t *testing.T) {
	b := pagestest.NewBrowser(t, startApp(t))
	p := b.Home()
	if p.Field("visits") != "1" || !strings.HasPrefix(p.Field("is-new"), "yes") {
		t.Fatalf("first visit: visits %q, new %q", p.Field("visits"), p.Field("is-new"))
	}
	if p.Resp.Header.Get("Cache-Control") != "no-store" || p.Resp.Header.Get("X-Frame-Options") == "" {
		t.Errorf("the page's headers: %v", p.Resp.Header)
	}
}

// echo v5's 404 is not an *echo.HTTPError: the error page still says what it
// is, and an unknown path never reads the session.
func TestNotFound(t *testing.T) {
	resp, err := http.Get(startApp(t) + "/favicon.ico")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("GET /favicon.ico: %d, Set-Cookie %q; want 404 without a cookie", resp.StatusCode, resp.Header.Values("Set-Cookie"))
	}
}
