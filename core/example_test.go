package vishnu_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// A visit counter: the middleware gives every request its session.
func Example() {
	m, err := vishnu.New(vishnu.Config{
		Store:    vishnu.NewMemoryStore(),
		Secret:   []byte("use 32 random bytes from a vault"),
		AutoSave: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	counter := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		n, _ := vishnu.Get[int](s, "visits")
		s.Set("visits", n+1)
		fmt.Fprintf(w, "visit %d", n+1)
	})
	h := m.Handler(counter)

	// Two requests from one browser: the second brings the cookie back.
	first := httptest.NewRecorder()
	h.ServeHTTP(first, httptest.NewRequest("GET", "/", nil))
	second := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(first.Result().Cookies()[0])
	h.ServeHTTP(second, req)

	fmt.Println(first.Body, "/", second.Body)
	// Output: visit 1 / visit 2
}

// Values come back with their types; nothing is registered.
func ExampleGet() {
	type cart struct {
		Items []string
		Total float64
	}
	m, _ := vishnu.New(vishnu.Config{Store: vishnu.NewMemoryStore(), Secret: testSecret, AutoSave: true})
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		if c, ok := vishnu.Get[cart](s, "cart"); ok {
			fmt.Println(c.Items, c.Total)
			return
		}
		s.Set("cart", cart{Items: []string{"tea", "cake"}, Total: 7.5})
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(rec.Result().Cookies()[0])
	h.ServeHTTP(httptest.NewRecorder(), req)
	// Output: [tea cake] 7.5
}

// Login: store the user, make the session last 30 days if asked, and give
// it a new token so that a token planted before login is worthless.
func ExampleSession_Regenerate() {
	login := func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		if err := s.Set("user", r.PostFormValue("user")); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		timeout := vishnu.UntilBrowserCloses
		if r.PostFormValue("remember") != "" {
			timeout = 30 * 24 * time.Hour
		}
		if err := s.SetTimeout(timeout); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		s.Flash("notice", "Welcome back")
		if err := s.Regenerate(); err != nil { // saves the session too
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}
	_ = login
}

// Logout: the record is deleted and the cookie expired.
func ExampleSession_Destroy() {
	logout := func(w http.ResponseWriter, r *http.Request) {
		if err := vishnu.FromContext(r.Context()).Destroy(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}
	_ = logout
}

// With the cookie store the data travels, encrypted, in the cookie.
func ExampleNewCookieStore() {
	m, err := vishnu.New(vishnu.Config{
		Store:      vishnu.NewCookieStore(),
		Secret:     []byte("use 32 random bytes from a vault"),
		EncryptKey: []byte("and 32 other random bytes, too!!"),
		Timeout:    time.Hour,
		AutoSave:   true,
	})
	if err != nil {
		log.Fatal(err)
	}
	rec := httptest.NewRecorder()
	m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vishnu.FromContext(r.Context()).Set("theme", "dark")
	})).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	c := rec.Result().Cookies()[0]
	fmt.Println(c.Name, c.MaxAge, c.Secure, c.HttpOnly, c.SameSite == http.SameSiteLaxMode)
	// Output: vishnu 3600 true true true
}

// A configuration mistake is an error from New, naming the field.
func ExampleNew_configError() {
	_, err := vishnu.New(vishnu.Config{Store: vishnu.NewMemoryStore(), Secret: []byte("short")})
	fmt.Println(err)
	// Output: vishnu: invalid Config.Secret: must be at least 32 bytes, got 5
}
