package main

import (
	"log/slog"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/vishnu-go/vishnu/examples/pages/pagestest"
)

// newTestServer serves the demo on gin, configured as main configures it,
// over loopback, and returns its URL.
func newTestServer(t *testing.T) string {
	t.Helper()
	return pagestest.Serve(t, newApp(pagestest.Manager(t), slog.New(slog.DiscardHandler)))
}

// TestStories walks the app through the stories every example app passes.
func TestStories(t *testing.T) { pagestest.All(t, newTestServer) }

// run, main's server, refuses a short secret, starts on a free port,
// answers, and stops cleanly.
func TestRun(t *testing.T) { pagestest.Run(t, run) }

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode) // no debug line per route
	m.Run()
}
