package vishnu_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// A guard's Status may be any 4xx, 400 and 499 included, and nothing else.
func TestGuardStatusBounds(t *testing.T) {
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	for status, valid := range map[int]bool{399: false, 400: true, 403: true, 499: true, 500: false} {
		g, err := vishnu.NewGuard(m, vishnu.GuardConfig{Key: "user", Status: status})
		if (err == nil) != valid || (g != nil) != valid {
			t.Errorf("Status %d: NewGuard = %v, %v; want valid %v", status, g, err, valid)
		}
	}
}

// A Denied answer's status is used when net/http can send it (100 to 999);
// any other becomes the guard's default, 401.
func TestGuardDeniedStatusBounds(t *testing.T) {
	cfg, _ := testConfig(newClock())
	m := newManager(t, cfg)
	for status, want := range map[int]int{0: 401, 99: 401, 100: 100, 302: 302, 999: 999, 1000: 401} {
		g := newGuard(t, m, vishnu.GuardConfig{Key: "user", Denied: func(context.Context, string) vishnu.ErrorResponse {
			return vishnu.ErrorResponse{Status: status}
		}})
		s, _ := m.Adapter().OpenHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/a", nil))
		resp, ok := g.Check(s, "/a")
		if ok || resp.Status != want {
			t.Errorf("Denied status %d: Check = %d, %v; want %d", status, resp.Status, ok, want)
		}
	}
}
