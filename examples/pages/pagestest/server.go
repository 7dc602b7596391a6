package pagestest

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
	"github.com/vishnu-go/vishnu/examples/pages"
)

// Manager returns the sessions as every app's main configures them
// (pages.NewManager), with Secret, logging to the test's output.
func Manager(t *testing.T) *vishnu.Manager {
	t.Helper()
	m, err := pages.NewManager(Secret, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Serve serves h over loopback until the test ends and returns its URL.
func Serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
