package vishnu_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestAdapterClientIP: Adapter.ClientIP, which adapters not built on
// net/http call, answers as Config.ClientIP does, RemoteIP by default.
func TestAdapterClientIP(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "192.0.2.1:4321"
	r.Header.Set("X-Forwarded-For", "203.0.113.7")
	cfg, _ := testConfig(newClock())
	if got := newManager(t, cfg).Adapter().ClientIP(r); got != "192.0.2.1" {
		t.Errorf("default ClientIP %q, want the peer's host 192.0.2.1", got)
	}
	cfg.ClientIP = func(r *http.Request) string { return r.Header.Get("X-Forwarded-For") }
	if got := newManager(t, cfg).Adapter().ClientIP(r); got != "203.0.113.7" {
		t.Errorf("ClientIP %q, want Config.ClientIP's 203.0.113.7", got)
	}
}
