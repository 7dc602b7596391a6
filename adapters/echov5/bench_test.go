package vishnuechov5_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v5"
	vishnuechov5 "github.com/vishnu-go/vishnu/adapters/echov5"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// benchServe serves b.N requests carrying cookie through e.
func benchServe(b *testing.B, e *echo.Echo, cookie string) {
	tmpl := httptest.NewRequest(http.MethodGet, "/", nil)
	if cookie != "" {
		tmpl.Header.Set("Cookie", cookie)
	}
	b.ReportAllocs()
	for b.Loop() {
		r := new(http.Request)
		*r = *tmpl
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// BenchmarkUntouched is the middleware's own cost: a request with a session
// cookie to a handler that never uses the session, beside echo alone. (The
// bench module compares it with gorilla/sessions on echo v5.)
func BenchmarkUntouched(b *testing.B) {
	ok := func(c *echo.Context) error { return c.String(http.StatusOK, "ok") }
	b.Run("echo", func(b *testing.B) {
		e := echo.New()
		e.GET("/", ok)
		benchServe(b, e, "vishnu=x")
	})
	b.Run("vishnuechov5", func(b *testing.B) {
		m, err := vishnu.New(vishnu.Config{Store: vishnu.NewMemoryStore(), Secret: make([]byte, vishnu.MinSecretLen),
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		e := echo.New()
		e.Use(vishnuechov5.Middleware(m))
		e.GET("/", ok)
		benchServe(b, e, "vishnu=x")
	})
}
