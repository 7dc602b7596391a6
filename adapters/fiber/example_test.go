package vishnufiber_test

import (
	"fmt"
	"io"
	"log"
	"net/http/httptest"

	"github.com/gofiber/fiber/v2"
	vishnufiber "github.com/vishnu-go/vishnu/adapters/fiber"
	vishnu "github.com/vishnu-go/vishnu/core"
)

func Example() {
	m, err := vishnu.New(vishnu.Config{
		Store:    vishnu.NewMemoryStore(), // or a Redis, memcached, Datastore store
		Secret:   []byte("change me: 32 random bytes or more, kept secret"),
		AutoSave: true, // off by default: then only s.Save() persists
	})
	if err != nil {
		log.Fatal(err)
	}

	// fasthttp's default ReadBufferSize (4096) answers 431 to a request
	// whose headers do not fit; 8192 leaves room for a 4096-byte cookie.
	app := fiber.New(fiber.Config{ReadBufferSize: 8192})
	app.Use(vishnufiber.Middleware(m))
	app.Get("/", func(c *fiber.Ctx) error {
		s := vishnufiber.Session(c)
		n, _ := vishnu.Get[int](s, "visits")
		if err := s.Set("visits", n+1); err != nil {
			return err
		}
		return c.SendString(fmt.Sprintf("visit %d", n+1))
	})

	// A real program calls app.Listen(":3000"); this one sends one request.
	resp, err := app.Test(httptest.NewRequest("GET", "/", nil))
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body), len(resp.Cookies()))
	// Output: 200 visit 1 1
}
