// Command postgres is Vishnu's demo with its sessions in PostgreSQL: a
// visit counter, a login that regenerates the session and lists it among
// the user's sessions, a flash message, a "remember me" timeout, a logout,
// sign-out everywhere else, and a cleanup of dormant sessions every ten
// minutes.
//
//	go run .                                   # PostgreSQL at 127.0.0.1:5432, user postgres
//	go run . -db postgres://app@db.internal/app -addr :9000
//
// The tables are created at start (Store.Migrate). Set VISHNU_SECRET (at
// least 32 bytes) to keep cookies valid across restarts; without it a
// random secret is made at start.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/vishnu-go/vishnu/examples/pages"
	pgstore "github.com/vishnu-go/vishnu/stores/postgres"
)

// defaultURL is where the demo looks for PostgreSQL unless -db or
// VISHNU_POSTGRES_URL says otherwise.
const defaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func main() {
	db := flag.String("db", envOr("VISHNU_POSTGRES_URL", defaultURL), "PostgreSQL connection URL")
	pages.Main(func(ctx context.Context, addr, secret string, log *slog.Logger, ready func(net.Addr)) error {
		return run(ctx, *db, addr, secret, log, ready)
	})
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// run serves the demo on addr, with its sessions in the database at url
// (in the schema and tables opts name), until ctx is done, then shuts
// down gracefully. ready, when not nil, is told the address listened on
// (addr may be ":0").
func run(ctx context.Context, url, addr, secret string, log *slog.Logger, ready func(net.Addr), opts ...pgstore.Option) error {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	store, err := pgstore.New(pool, opts...)
	if err != nil {
		return err
	}
	migrateCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := store.Migrate(migrateCtx); err != nil {
		return err
	}
	m, err := pages.NewManagerOn(store, secret, log)
	if err != nil {
		return err
	}
	go cleanEvery(ctx, store, 10*time.Minute, log)
	return pages.Serve(ctx, addr, pages.Handler(m, log), "the Vishnu demo on PostgreSQL", log, ready)
}

// cleanEvery deletes sessions dormant for a day, every period, until ctx
// is done: the job a cron would run, here in the app for the demo's sake.
// Run by several replicas at once, the cleanups skip each other's rows.
func cleanEvery(ctx context.Context, store *pgstore.Store, period time.Duration, log *slog.Logger) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for done := false; !done; {
			var err error
			if done, err = store.Cleanup(ctx, 24*time.Hour, 500); err != nil {
				log.Warn(fmt.Sprintf("cleaning dormant sessions: %v", err))
				break
			}
		}
	}
}
