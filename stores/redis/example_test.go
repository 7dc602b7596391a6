package redisstore_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
	vishnu "github.com/vishnu-go/vishnu/core"
	redisstore "github.com/vishnu-go/vishnu/stores/redis"
)

// Sessions in Redis behind net/http. This is the README's snippet.
func Example() {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	store, err := redisstore.New(client, redisstore.WithPrefix("myapp:"))
	if err != nil {
		log.Fatal(err)
	}
	sessions, err := vishnu.New(vishnu.Config{
		Store:    store,
		Secret:   []byte(os.Getenv("SESSION_SECRET")), // at least 32 random bytes
		Timeout:  30 * time.Minute,
		AutoSave: true, // off by default: then only s.Save() persists
	})
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		n, _ := vishnu.Get[int](s, "visits")
		if err := s.Set("visits", n+1); err != nil {
			sessions.HandleError(w, r, err)
			return
		}
		fmt.Fprintf(w, "visit %d\n", n+1)
	})
	log.Fatal(http.ListenAndServe(":8080", sessions.Handler(mux)))
}

// A Redis Cluster, or any other deployment: New takes a
// redis.UniversalClient. Preload is optional; it sends the commit script to
// every master at start-up, so that no request pays for it.
func ExampleNew_cluster() {
	client := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs: []string{"10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379"},
	})
	store, err := redisstore.New(client)
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := store.Preload(ctx); err != nil {
		log.Printf("redis is not reachable yet: %v", err) // requests get the error response until it is
	}
	_ = store // vishnu.Config{Store: store, ...}
}
