package vishnuechov5_test

import (
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
	vishnuechov5 "github.com/vishnu-go/vishnu/adapters/echov5"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// Example is the README's snippet: a visit counter on echo v5.
func Example() {
	m, err := vishnu.New(vishnu.Config{
		Store:    vishnu.NewMemoryStore(),
		Secret:   []byte(os.Getenv("SESSION_SECRET")), // at least 32 random bytes
		AutoSave: true,                                // off by default: then only s.Save() persists
	})
	if err != nil {
		log.Fatal(err)
	}

	e := echo.New()
	e.Use(middleware.Recover())
	e.Use(vishnuechov5.Middleware(m))
	e.GET("/", func(c *echo.Context) error {
		s := vishnuechov5.Session(c)
		n, _ := vishnu.Get[int](s, "visits")
		if err := s.Set("visits", n+1); err != nil {
			return err
		}
		return c.String(http.StatusOK, fmt.Sprintf("visit %d\n", n+1))
	})
	e.POST("/login", func(c *echo.Context) error {
		s := vishnuechov5.Session(c)
		if err := s.Set("user", c.FormValue("user")); err != nil {
			return err
		}
		if err := s.Regenerate(); err != nil { // a new token at login
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/")
	})
	log.Fatal(e.Start(":8080"))
}

// ExampleMiddlewareWithOptions sends a session that cannot be loaded or
// committed through echo's own error path: the error goes to the app's
// HTTPErrorHandler, as any handler's error does.
func ExampleMiddlewareWithOptions() {
	m, err := vishnu.New(vishnu.Config{
		Store:  vishnu.NewMemoryStore(),
		Secret: []byte(os.Getenv("SESSION_SECRET")),
	})
	if err != nil {
		log.Fatal(err)
	}
	e := echo.New()
	e.Use(vishnuechov5.MiddlewareWithOptions(m, vishnuechov5.Options{
		Skipper: func(c *echo.Context) bool { return c.Path() == "/health" },
		ErrorHandler: func(c *echo.Context, err error) error {
			return echo.NewHTTPError(http.StatusServiceUnavailable, "please try again").Wrap(err)
		},
	}))
}
