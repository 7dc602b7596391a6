package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
// session, and a logout leaves no cookie. It needs chromium (apt-get install
// chromium, or VISHNU_CHROMIUM naming the binary), node and npm; it installs
// playwright-core itself (npm ci, into the user's cache) when
// testdata/browser/node_modules is missing.
func TestInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a browser; not with -short")
	}
	chromium := os.Getenv("VISHNU_CHROMIUM")
	if chromium == "" {
		for _, name := range []string{"chromium", "chromium-browser"} {
			if p, err := exec.LookPath(name); err == nil {
				chromium = p
				break
			}
		}
	}
	if chromium == "" {
		unavailable(t, "chromium is not installed (apt-get install chromium, or set VISHNU_CHROMIUM)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable(t, "node is not installed")
	}
	modules := playwrightModules(t)

	srv := newServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	script, _ := filepath.Abs(filepath.Join("testdata", "browser", "check.cjs"))
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Env = append(os.Environ(), "VISHNU_BASE_URL="+srv.URL, "VISHNU_CHROMIUM="+chromium, "NODE_PATH="+modules)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("the browser check failed (%v):\n%s%s", err, errOut.String(), out.String())
	}
	t.Logf("Chromium: %s", strings.TrimSpace(out.String()))
}

// playwrightModules returns the node_modules folder that holds
// playwright-core: testdata/browser's when npm ci ran there, else one in
// the user's cache, installed by npm ci from the committed lock file.
func playwrightModules(t *testing.T) string {
	t.Helper()
	dir, _ := filepath.Abs(filepath.Join("testdata", "browser"))
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core", "package.json")); err == nil {
		return filepath.Join(dir, "node_modules")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		unavailable(t, "playwright-core is not installed and npm is missing to install it")
	}
	lock, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	sum := sha256.Sum256(lock)
	target := filepath.Join(cache, "vishnu-go", "playwright-"+hex.EncodeToString(sum[:6]))
	if _, err := os.Stat(filepath.Join(target, "node_modules", "playwright-core", "package.json")); err == nil {
		return filepath.Join(target, "node_modules")
	}
	// Installed beside the target and renamed into place, so that a run
	// that stops half-way leaves nothing that looks installed.
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		t.Fatal(err)
	}
	work, err := os.MkdirTemp(filepath.Dir(target), "install-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(work)
	for _, f := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err == nil {
			err = os.WriteFile(filepath.Join(work, f), b, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = work
	if out, err := cmd.CombinedOutput(); err != nil {
		unavailable(t, "npm ci of playwright-core failed: %v\n%s", err, out)
	}
	if err := os.Rename(work, target); err != nil && !errors.Is(err, os.ErrExist) {
		if _, serr := os.Stat(target); serr != nil { // not installed meanwhile by another run
			t.Fatal(err)
		}
	}
	return filepath.Join(target, "node_modules")
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

// unavailable skips the test for want of a program, with the reason, and
// fails it when CI=true, where a missing program is a broken setup that
// would otherwise pass unnoticed.
func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (a missing program fails the test when CI=true)", msg)
	}
	t.Skipf("%s (skipped; with CI=true this fails)", msg)
}
