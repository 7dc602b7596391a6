package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
	"github.com/vishnu-go/vishnu/examples/pages"
	"github.com/vishnu-go/vishnu/examples/pages/pagestest"
)

// A flash that replaces an unread one and is read in the same request (a
// handler that re-renders a form with its error instead of redirecting)
// must be gone afterwards, and so must the one it replaced: PopFlash drops
// the pending write and records the stored key's deletion.
func TestFlashReplacedAndReadInOneRequest(t *testing.T) {
	m, err := pages.NewManager(pagestest.Secret, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		if r.URL.Path == "/replace" {
			if err := s.Flash(pages.KeyFlash, "new"); err != nil {
				t.Error(err)
			}
		}
		if r.URL.Path == "/leave" {
			if err := s.Flash(pages.KeyFlash, "old"); err != nil {
				t.Error(err)
			}
			return
		}
		msg, _ := vishnu.PopFlash[string](s, pages.KeyFlash)
		io.WriteString(w, msg)
	})))
	defer srv.Close()
	b := pagestest.NewBrowser(t, srv.URL)
	get := func(path string) string {
		t.Helper()
		resp := b.Do(b.Request(http.MethodGet, path, nil))
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(body)
	}

	get("/leave") // an unread flash "old" is in the store
	if got := get("/replace"); got != "new" {
		t.Fatalf("flash read in the request that set it = %q, want %q", got, "new")
	}
	if got := get("/"); got != "" {
		t.Errorf("next request shows flash %q; want none (each flash is read once)", got)
	}
}
