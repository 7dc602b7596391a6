package main

import (
	"log/slog"
	"testing"

	"github.com/vishnu-go/vishnu/examples/pages"
	"github.com/vishnu-go/vishnu/examples/pages/pagestest"
)

// newTestServer serves the demo, configured as main configures it, over
// loopback, and returns its URL.
func newTestServer(t *testing.T) string {
	t.Helper()
	return pagestest.Serve(t, pages.Handler(pagestest.Manager(t), slog.New(slog.NewTextHandler(t.Output(), nil))))
}

// TestStories walks the demo through the stories every example app passes:
// the counter, login, remember me, bad names and cookies, cross-site posts,
// logout.
func TestStories(t *testing.T) { pagestest.All(t, newTestServer) }

// run, main's server, refuses a short secret, starts on a free port,
// answers, and stops cleanly.
func TestRun(t *testing.T) { pagestest.Run(t, run) }
