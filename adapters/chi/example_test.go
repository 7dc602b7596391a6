package vishnuchi_test

import (
	"crypto/rand"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	vishnuchi "github.com/vishnu-go/vishnu/adapters/chi"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// newRouter is a chi app with m's sessions on every route and a guard on
// the pages that need a logged-in user.
func newRouter(m *vishnu.Manager) (http.Handler, error) {
	loggedIn, err := vishnu.NewGuard(m, vishnu.GuardConfig{Key: "user", RedirectTo: "/login", ReturnParam: "next"})
	if err != nil {
		return nil, err
	}

	r := chi.NewRouter()
	r.Use(middleware.Logger, middleware.Recoverer) // outside the session middleware
	r.Use(vishnuchi.Middleware(m))
	r.Use(middleware.Timeout(30 * time.Second)) // inside it

	r.Post("/login", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		// (Check the password first.)
		if err := s.Set("user", r.FormValue("user")); err != nil {
			m.HandleError(w, r, err)
			return
		}
		if err := s.Regenerate(); err != nil { // a new token at login
			m.HandleError(w, r, err)
			return
		}
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	})

	r.With(loggedIn.Handler).Get("/account", func(w http.ResponseWriter, r *http.Request) {
		user, _ := vishnu.Get[string](vishnu.FromContext(r.Context()), "user")
		fmt.Fprintf(w, "hello %s", user)
	})

	r.Group(func(r chi.Router) {
		r.Use(loggedIn.Handler)
		r.Post("/logout", func(w http.ResponseWriter, r *http.Request) {
			if err := vishnu.FromContext(r.Context()).Destroy(); err != nil {
				return // the error response goes out in place of this one
			}
			http.Redirect(w, r, "/", http.StatusSeeOther)
		})
	})
	return r, nil
}

func Example() {
	secret := make([]byte, 32) // in production, 32 random bytes kept out of the source
	rand.Read(secret)
	m, err := vishnu.New(vishnu.Config{Store: vishnu.NewMemoryStore(), Secret: secret, AutoSave: true})
	if err != nil {
		log.Fatal(err)
	}
	r, err := newRouter(m)
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", r))
}
