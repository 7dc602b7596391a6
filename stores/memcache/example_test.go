package memcachestore_test

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	vishnu "github.com/vishnu-go/vishnu/core"
	memcachestore "github.com/vishnu-go/vishnu/stores/memcache"
)

// Sessions in memcached behind net/http. This is the README's snippet.
func Example() {
	// One server, or several: memcache.New("10.0.0.1:11211", "10.0.0.2:11211").
	client := memcache.New(memcachestore.DefaultServer)
	store, err := memcachestore.New(client, memcachestore.WithPrefix("myapp:"))
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
