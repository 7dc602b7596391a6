// A net/http app with sessions in PostgreSQL, as a user writes it after go get.
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"
	vishnu "github.com/vishnu-go/vishnu/core"
	pgstore "github.com/vishnu-go/vishnu/stores/postgres"
)

func main() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://postgres@127.0.0.1:5432/postgres")
	if err != nil {
		log.Fatal(err)
	}
	store, err := pgstore.New(pool)
	if err != nil {
		log.Fatal(err)
	}
	if err := store.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	m, err := vishnu.New(vishnu.Config{Store: store, Secret: []byte("0123456789abcdef0123456789abcdef"), AutoSave: true})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		n, _ := vishnu.Get[int](s, "visits")
		if err := s.Set("visits", n+1); err != nil {
			m.HandleError(w, r, err)
			return
		}
		fmt.Fprintf(w, "visit %d\n", n+1)
	})
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", m.Handler(mux)))
}
