package pgstore_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	vishnu "github.com/vishnu-go/vishnu/core"
	pgstore "github.com/vishnu-go/vishnu/stores/postgres"
)

// Sessions in PostgreSQL behind net/http. This is the README's snippet.
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL")) // postgres://app@db.internal/app
	if err != nil {
		log.Fatal(err)
	}
	store, err := pgstore.New(pool, pgstore.WithTable("sessions"))
	if err != nil {
		log.Fatal(err)
	}
	if err := store.Migrate(ctx); err != nil { // creates the tables, idempotently
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

// A periodic job deletes sessions that expired a day ago, 500 per call;
// several replicas may run it at once.
func ExampleStore_Cleanup() {
	var store *pgstore.Store // from pgstore.New
	ctx := context.Background()
	for done := false; !done; {
		var err error
		if done, err = store.Cleanup(ctx, 24*time.Hour, 500); err != nil {
			log.Printf("cleanup: %v", err) // the next run goes on where this one stopped
			return
		}
	}
}
