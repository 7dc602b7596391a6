package main

import (
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/datastore"
	"github.com/vishnu-go/vishnu/internal/testserver"
)

func TestMain(m *testing.M) { os.Exit(testserver.Run(m)) }

// TestApp drives the app over a real server and cookie jar on an emulator
// (DATASTORE_EMULATOR_HOST, or one started for the test): the counter
// counts, logout starts over, and the cron route runs the cleanup job for
// App Engine cron only.
func TestApp(t *testing.T) {
	t.Setenv("DATASTORE_EMULATOR_HOST", testserver.Datastore(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, err := datastore.NewClient(ctx, "vishnu-example")
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	app, err := newApp(client, secret, true)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(app)
	defer ts.Close()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	var lastHeader http.Header
	do := func(method, path string, header http.Header) (int, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, method, ts.URL+path, nil)
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		lastHeader = resp.Header
		return resp.StatusCode, string(body)
	}

	for _, want := range []string{"Visit 1.", "Visit 2.", "Visit 3."} {
		if code, body := do(http.MethodGet, "/", nil); code != http.StatusOK || !strings.Contains(body, want) {
			t.Fatalf("GET /: %d %q, want %q", code, body, want)
		}
	}
	if code, body := do(http.MethodPost, "/logout", nil); code != http.StatusOK || !strings.Contains(body, "Visit 1.") {
		t.Fatalf("POST /logout, then the redirect: %d %q, want a new session's first visit", code, body)
	}

	if code, _ := do(http.MethodGet, "/tasks/cleanup-sessions", nil); code != http.StatusNotFound {
		t.Errorf("the cron route without X-Appengine-Cron: %d, want 404", code)
	}
	code, body := do(http.MethodGet, "/tasks/cleanup-sessions", http.Header{"X-Appengine-Cron": {"true"}})
	if code != http.StatusOK || !strings.HasPrefix(body, "finished: ") {
		t.Errorf("the cron route: %d %q, want 200 finished", code, body)
	}
	if sc := lastHeader.Values("Set-Cookie"); len(sc) > 0 {
		t.Errorf("the cron route set cookies %q; it has no session", sc)
	}
}
