package main

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vishnu-go/vishnu/examples/internal/browsertest"
)

// The pages over a real server and Go's cookie jar: the quick check, which
// needs no browser.
func TestPages(t *testing.T) {
	srv := newServer(t)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	get := func(path string) string {
		t.Helper()
		resp, err := c.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return html.UnescapeString(string(b))
	}
	filled := get("/fill")
	if !strings.Contains(filled, fmt.Sprintf(`"size":%d`, blobSize)) {
		t.Fatalf("/fill shows %s", filled)
	}
	if got := get("/"); !strings.Contains(got, `"new":false`) || !strings.Contains(got, sumOf(filled)) {
		t.Fatalf("/ shows %s after /fill %s", got, filled)
	}
	u := srv.URL + "/"
	req, _ := http.NewRequest("GET", u, nil)
	if n := len(jar.Cookies(req.URL)); n < 4 {
		t.Fatalf("12 KB took %d cookies", n)
	}
	get("/logout")
	if n := len(jar.Cookies(req.URL)); n != 0 {
		t.Fatalf("logout left %d cookies", n)
	}
}

func sumOf(page string) string {
	_, rest, _ := strings.Cut(page, `"sum":"`)
	sum, _, _ := strings.Cut(rest, `"`)
	return sum
}

// The pages in Chromium, driven by testdata/browser/check.cjs through
// playwright-core: a 12 KB session survives a reload, each cookie stays
// within Chromium's 4096 bytes, an altered or missing cookie gives a fresh
// session, and a logout leaves no cookie. It needs chromium, node and npm
// (see browsertest).
func TestInChromium(t *testing.T) {
	srv := newServer(t)
	t.Logf("Chromium: %s", browsertest.Run(t, filepath.Join("testdata", "browser", "check.cjs"), srv.URL))
}

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	h, err := newApp("a secret of at least 32 bytes!!!", "an encryption key of 32 bytes!!!")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h) // loopback
	t.Cleanup(srv.Close)
	return srv
}
