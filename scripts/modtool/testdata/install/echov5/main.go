// An echo v5 app with sessions in memory, as a user writes it after go get.
package main

import (
	"fmt"
	"log"
	"net/http"

	"github.com/labstack/echo/v5"
	vishnuechov5 "github.com/vishnu-go/vishnu/adapters/echov5"
	vishnu "github.com/vishnu-go/vishnu/core"
)

func main() {
	m, err := vishnu.New(vishnu.Config{
		Store:    vishnu.NewMemoryStore(),
		Secret:   []byte("0123456789abcdef0123456789abcdef"),
		AutoSave: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	e := echo.New()
	e.Use(vishnuechov5.Middleware(m))
	e.GET("/", func(c *echo.Context) error {
		s := vishnuechov5.Session(c)
		n, _ := vishnu.Get[int](s, "visits")
		if err := s.Set("visits", n+1); err != nil {
			return err
		}
		return c.String(http.StatusOK, fmt.Sprintf("visit %d\n", n+1))
	})
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", e))
}
