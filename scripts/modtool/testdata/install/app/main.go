// A gin app with sessions in Redis, as a user writes it after go get.
package main

import (
	"log"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
	vishnugin "github.com/vishnu-go/vishnu/adapters/gin"
	vishnu "github.com/vishnu-go/vishnu/core"
	redisstore "github.com/vishnu-go/vishnu/stores/redis"
)

func main() {
	store, err := redisstore.New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"}))
	if err != nil {
		log.Fatal(err)
	}
	m, err := vishnu.New(vishnu.Config{Store: store, Secret: []byte("0123456789abcdef0123456789abcdef"), AutoSave: true})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New()
	r.Use(vishnugin.Middleware(m))
	r.GET("/", func(c *gin.Context) {
		s := vishnugin.Session(c)
		n, _ := vishnu.Get[int](s, "visits")
		if err := s.Set("visits", n+1); err != nil {
			_ = c.AbortWithError(http.StatusInternalServerError, err)
			return
		}
		c.String(http.StatusOK, "%d visits", n+1)
	})
	log.Fatal(r.Run("127.0.0.1:8080"))
}
