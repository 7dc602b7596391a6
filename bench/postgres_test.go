package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/vishnu-go/vishnu/conformance"
	vishnu "github.com/vishnu-go/vishnu/core"
	"github.com/vishnu-go/vishnu/internal/testserver"
	pgstore "github.com/vishnu-go/vishnu/stores/postgres"
)

// The PostgreSQL rows: the same scenarios and lost-update check, with the
// sessions in PostgreSQL (the one at VISHNU_POSTGRES_URL, else at
// 127.0.0.1:5432, else one started for the run): Vishnu on
// stores/postgres, scs on its pgxstore. Each app gets a schema of its own,
// dropped when its benchmark or test ends.

// pgLibs are the libraries with a PostgreSQL store.
var pgLibs = []lib{
	{"vishnu", vishnuPostgresApp},
	{"scs", scsPostgresApp},
}

// BenchmarkPostgresRead: Read, on PostgreSQL.
func BenchmarkPostgresRead(b *testing.B) { runPostgresScenario(b, read) }

// BenchmarkPostgresWrite: Write, on PostgreSQL.
func BenchmarkPostgresWrite(b *testing.B) { runPostgresScenario(b, write) }

// BenchmarkPostgresNew: New, on PostgreSQL.
func BenchmarkPostgresNew(b *testing.B) { runPostgresScenario(b, newSession) }

func runPostgresScenario(b *testing.B, sc scenario) {
	for _, l := range pgLibs {
		b.Run("lib="+l.name, func(b *testing.B) {
			a, _ := l.app(b, sc)
			a.run.bench(b, a.cookie(b, sc), sc.want())
		})
	}
}

// TestPostgresScenarios checks that the PostgreSQL rows do the work their
// scenario says.
func TestPostgresScenarios(t *testing.T) {
	checkScenarios(t, pgLibs, []scenario{read, write, newSession})
}

// TestPostgresLostUpdates: 100 concurrent requests on one session, each
// setting its own key, with the sessions in PostgreSQL: Vishnu must keep
// all 100; what scs keeps is logged.
func TestPostgresLostUpdates(t *testing.T) { lostUpdates(t, pgLibs) }

func vishnuPostgresApp(tb testing.TB, sc scenario) (app, bool) {
	store, err := pgstore.New(postgresPool(tb, ""))
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := store.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	m, err := vishnu.New(vishnu.Config{
		Store:    store,
		Secret:   signKey,
		AutoSave: true,
		Cookie:   vishnu.CookieConfig{Insecure: true}, // the lost-update check runs on plain HTTP
	})
	if err != nil {
		tb.Fatal(err)
	}
	return vishnuAppOn(tb, sc, m), true
}

// scsSchema is the table scs's pgxstore documents (it names it "sessions",
// unqualified: the pool's search_path puts it in the app's schema).
const scsSchema = `CREATE TABLE sessions (token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);`

func scsPostgresApp(tb testing.TB, sc scenario) (app, bool) {
	pool := postgresPool(tb, scsSchema)
	sm := scs.New()
	// A cleanup interval of 0 starts no cleanup goroutine, which would
	// outlive the pool.
	sm.Store = pgxstore.NewWithCleanupInterval(pool, 0)
	return scsAppOn(sm, sc), true
}

// postgresPool returns a pool whose search_path is a new schema of its
// own, in which ddl (if any) has run; the schema is dropped and the pool
// closed when tb ends.
func postgresPool(tb testing.TB, ddl string) *pgxpool.Pool {
	tb.Helper()
	url, err := testserver.PostgresURL(tb)
	if errors.Is(err, testserver.ErrNotInstalled) {
		conformance.Unavailable(tb, "PostgreSQL: %v", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "vishnu_bench_" + hex.EncodeToString(b)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.MaxConns = 32 // the lost-update check's 100 writers queue for these
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			tb.Logf("dropping schema %s: %v", schema, err)
		}
		pool.Close()
	})
	if _, err := pool.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		conformance.Unavailable(tb, "PostgreSQL at %s: %v", url, err)
	}
	if ddl != "" {
		if _, err := pool.Exec(ctx, ddl); err != nil {
			tb.Fatal(err)
		}
	}
	return pool
}
