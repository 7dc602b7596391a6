package vishnu_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// Sessions for API clients: the token travels in "Authorization: Bearer",
// and a new or changed one comes back in X-Session-Token.
func ExampleTokenConfig() {
	m, err := vishnu.New(vishnu.Config{
		Store:    vishnu.NewMemoryStore(),
		Secret:   []byte("use 32 random bytes from a vault"),
		Token:    vishnu.TokenConfig{Sources: []vishnu.TokenSource{vishnu.TokenInBearer}},
		AutoSave: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		n, _ := vishnu.Get[int](s, "calls")
		s.Set("calls", n+1)
		fmt.Fprintf(w, "call %d", n+1)
	}))

	token := ""
	for range 2 {
		req := httptest.NewRequest("GET", "/", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if t := rec.Header().Get("X-Session-Token"); t != "" {
			token = t // a new or refreshed token replaces the one held
		}
		fmt.Println(rec.Body.String(), "cookies:", len(rec.Result().Cookies()))
	}
	// Output:
	// call 1 cookies: 0
	// call 2 cookies: 0
}
