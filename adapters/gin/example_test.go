package vishnugin_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/gin-gonic/gin"
	vishnu "github.com/vishnu-go/vishnu/core"

	vishnugin "github.com/vishnu-go/vishnu/adapters/gin"
)

// Sessions on gin: a visit counter and a login. This is the README's
// snippet.
func Example() {
	m, err := vishnu.New(vishnu.Config{
		Store:    vishnu.NewMemoryStore(),
		Secret:   []byte(os.Getenv("SESSION_SECRET")), // at least 32 random bytes
		AutoSave: true,                                // off by default: then only s.Save() persists
	})
	if err != nil {
		log.Fatal(err)
	}

	r := gin.New()
	r.Use(gin.Logger(), gin.Recovery(), vishnugin.Middleware(m))
	r.GET("/", func(c *gin.Context) {
		s := vishnugin.Session(c)
		n, _ := vishnu.Get[int](s, "visits")
		if err := s.Set("visits", n+1); err != nil {
			_ = c.AbortWithError(http.StatusInternalServerError, err)
			return
		}
		c.String(http.StatusOK, "visit %d\n", n+1)
	})
	r.POST("/login", func(c *gin.Context) {
		s := vishnugin.Session(c)
		// A new token at login defeats session fixation.
		if err := s.Set("user", c.PostForm("user")); err != nil {
			_ = c.AbortWithError(http.StatusInternalServerError, err)
			return
		}
		if err := s.Regenerate(); err != nil {
			_ = c.AbortWithError(http.StatusInternalServerError, err)
			return
		}
		c.Redirect(http.StatusSeeOther, "/")
	})
	log.Fatal(r.Run(":8080"))
}

// Several managers side by side, each with its own cookie; SessionOf picks
// one. The middleware may also go on a route group only.
func ExampleSessionOf() {
	newManager := func(cookie string) *vishnu.Manager {
		m, err := vishnu.New(vishnu.Config{
			Store:    vishnu.NewMemoryStore(),
			Secret:   []byte("example-secret-of-32-bytes-000000"),
			AutoSave: true,
			Cookie:   vishnu.CookieConfig{Name: cookie, Insecure: true},
		})
		if err != nil {
			log.Fatal(err)
		}
		return m
	}
	prefs, auth := newManager("prefs"), newManager("auth")

	r := gin.New()
	r.Use(vishnugin.Middleware(prefs))
	admin := r.Group("/admin", vishnugin.Middleware(auth))
	admin.GET("/theme", func(c *gin.Context) {
		_ = vishnugin.SessionOf(c, prefs).Set("theme", "dark")
		_ = vishnugin.SessionOf(c, auth).Set("seen", true)
		c.Status(http.StatusNoContent)
	})

	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/admin/theme", nil))
	for _, c := range w.Result().Cookies() {
		fmt.Println(c.Name)
	}
	// Output:
	// auth
	// prefs
}

// An ErrorHandler of the application's own answers when the session cannot
// be loaded or committed (the store is down). This is the README's
// ErrorHandler snippet.
func ExampleMiddlewareWithOptions() {
	m, err := vishnu.New(vishnu.Config{Store: vishnu.NewMemoryStore(), Secret: []byte(os.Getenv("SESSION_SECRET"))})
	if err != nil {
		log.Fatal(err)
	}
	mw := vishnugin.MiddlewareWithOptions(m, vishnugin.Options{
		ErrorHandler: func(c *gin.Context, err error) {
			c.JSON(http.StatusServiceUnavailable, gin.H{"error": "try again"})
		},
	})
	r := gin.New()
	r.Use(mw)
}
