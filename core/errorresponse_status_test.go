package vishnu_test

import (
	"context"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// The configured error response's status is used when net/http can send it
// (100 to 999); any other becomes 500.
func TestErrorResponseStatusBounds(t *testing.T) {
	for status, want := range map[int]int{0: 500, 99: 500, 100: 100, 503: 503, 999: 999, 1000: 500, -1: 500} {
		cfg, _ := testConfig(newClock())
		cfg.ErrorResponse = func(context.Context, error) vishnu.ErrorResponse {
			return vishnu.ErrorResponse{Status: status}
		}
		resp := newManager(t, cfg).Adapter().ErrorResponse(nil, errDown)
		if resp.Status != want {
			t.Errorf("configured status %d: sent %d, want %d", status, resp.Status, want)
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("configured status %d: Cache-Control %q, want no-store", status, resp.Header.Get("Cache-Control"))
		}
	}
}
