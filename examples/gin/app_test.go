package main

import (
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/vishnu-go/vishnu/examples/pages"
	"github.com/vishnu-go/vishnu/examples/pages/pagestest"
)

// newTestServer serves the demo on gin, configured as main configures it,
// over loopback, and returns its URL.
func newTestServer(t *testing.T) string {
	t.Helper()
	m, err := pages.NewManager(pagestest.Secret, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newApp(m, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	return srv.URL
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
