package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// newTestServer serves the app, configured as run configures it, over
// loopback.
func newTestServer(t *testing.T) string {
	t.Helper()
	web, api, err := managers([]byte(strings.Repeat("s", 32)), true, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newApp(web, api, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	return srv.URL
}

// call makes one request; token, when not "", goes as a Bearer token.
func call(t *testing.T, c *http.Client, method, u, token, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if strings.HasPrefix(body, "{") {
		req.Header.Set("Content-Type", "application/json")
	} else if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// A JSON client without a cookie jar logs in, is known by its token, and
// logs out; a browser with a jar does the same on the pages, and neither
// door accepts the other's credentials.
func TestAPIBesideWebPages(t *testing.T) {
	base := newTestServer(t)
	jsonClient := &http.Client{Timeout: 10 * time.Second}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second}

	resp, _ := call(t, jsonClient, "POST", base+"/api/login", "", `{"user":"ada"}`)
	token := resp.Header.Get("X-Session-Token")
	if resp.StatusCode != http.StatusOK || token == "" {
		t.Fatalf("API login: status %d, X-Session-Token %q; want 200 and a token", resp.StatusCode, token)
	}
	if sc := resp.Header.Values("Set-Cookie"); len(sc) > 0 {
		t.Fatalf("API login set a cookie: %q", sc)
	}
	if resp, body := call(t, jsonClient, "GET", base+"/api/me", token, ""); resp.StatusCode != http.StatusOK || !strings.Contains(body, `"ada"`) {
		t.Fatalf("GET /api/me with the token: %d %s", resp.StatusCode, body)
	}
	if resp, _ := call(t, jsonClient, "GET", base+"/api/me", "", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /api/me without a token: %d, want 401", resp.StatusCode)
	}

	// The browser signs in on the page; its session is listed with the
	// API's, in one store.
	resp, body := call(t, browser, "POST", base+"/login", "", url.Values{"user": {"ada"}}.Encode())
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Signed in as ada. Sessions, web and API: 2.") {
		t.Fatalf("web login: %d %s", resp.StatusCode, body)
	}
	// The browser's cookie does not open the API, and the API token does
	// not open the pages.
	if resp, _ := call(t, browser, "GET", base+"/api/me", "", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /api/me with the web cookie only: %d, want 401", resp.StatusCode)
	}
	if _, body := call(t, jsonClient, "GET", base+"/", token, ""); strings.Contains(body, "Signed in") {
		t.Fatal("the API token opened the web page")
	}

	resp, _ = call(t, jsonClient, "POST", base+"/api/logout", token, "")
	if v, ok := resp.Header["X-Session-Token"]; resp.StatusCode != http.StatusNoContent || !ok || v[0] != "" {
		t.Fatalf("API logout: status %d, X-Session-Token %q (present %v); want 204 and an empty header", resp.StatusCode, v, ok)
	}
	if resp, _ := call(t, jsonClient, "GET", base+"/api/me", token, ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /api/me with the logged-out token: %d, want 401", resp.StatusCode)
	}
	if _, body := call(t, browser, "GET", base+"/", "", ""); !strings.Contains(body, "Sessions, web and API: 1.") {
		t.Fatalf("after the API logout the page shows %q, want the web session alone", body)
	}
}
