package loadtest

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	vishnu "github.com/vishnu-go/vishnu/core"
	pgstore "github.com/vishnu-go/vishnu/stores/postgres"
)

// The rows on PostgreSQL: Vishnu on stores/postgres and scs on its
// pgxstore, both on net/http, each with its tables in a schema of its own
// (Config.PostgresSchema + "_vishnu" or "_scs"), which the server drops and
// creates anew when it starts, so that every run of ../load.sh (a server
// process each) begins empty, as the Redis rows begin on a flushed
// database. Neither uses Redis. Both take pgxpool's default pool, sized
// from the URL (pool_max_conns) like any deployment's.

// postgresSuffix ends the names of the libraries on PostgreSQL.
const postgresSuffix = "-postgres"

// DefaultPostgresSchema is the prefix of the rows' schemas unless
// Config.PostgresSchema sets another.
const DefaultPostgresSchema = "loadtest"

// onPostgres reports whether lib keeps its sessions in PostgreSQL rather
// than Redis.
func onPostgres(lib string) bool { return strings.HasSuffix(lib, postgresSuffix) }

// postgresSchema is the schema of the row whose library is short.
func postgresSchema(cfg Config, short string) string {
	prefix := cfg.PostgresSchema
	if prefix == "" {
		prefix = DefaultPostgresSchema
	}
	return prefix + "_" + short
}

// postgresPool drops schema, creates it empty, runs ddl in it (if any),
// and returns a pool on cfg.PostgresURL whose search_path is schema, where
// unqualified names go.
func postgresPool(cfg Config, schema, ddl string) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(cfg.PostgresURL)
	if err != nil {
		return nil, err
	}
	pc.ConnConfig.RuntimeParams["search_path"] = schema
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, err
	}
	quoted := pgx.Identifier{schema}.Sanitize()
	// Without arguments, Exec sends the text as it is, several statements at once.
	if _, err := pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+quoted+" CASCADE; CREATE SCHEMA "+quoted+";"+ddl); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// poolCloser closes a pool as an io.Closer.
type poolCloser struct{ *pgxpool.Pool }

func (p poolCloser) Close() error { p.Pool.Close(); return nil }

func vishnuPostgres(cfg Config) (*Server, error) {
	schema := postgresSchema(cfg, "vishnu")
	pool, err := postgresPool(cfg, schema, "")
	if err != nil {
		return nil, err
	}
	store, err := pgstore.New(pool, pgstore.WithSchema(schema))
	if err != nil {
		pool.Close()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := store.Migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	m, err := vishnu.New(vishnu.Config{
		Store:    store,
		Secret:   secret,
		AutoSave: true,
		Timeout:  lifetime,
		Cookie:   vishnu.CookieConfig{Insecure: true}, // loopback, plain HTTP
	})
	if err != nil {
		pool.Close()
		return nil, err
	}
	mux := netHTTPRoutes(func(r *http.Request) session { return vishnuSession{vishnu.FromContext(r.Context())} })
	return netHTTPServer(m.Handler(mux), poolCloser{pool}), nil
}

// scsTable is the table scs's pgxstore documents; it names it "sessions",
// unqualified, so it goes to the schema of the pool's search_path.
const scsTable = `CREATE TABLE sessions (token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);`

func scsPostgres(cfg Config) (*Server, error) {
	pool, err := postgresPool(cfg, postgresSchema(cfg, "scs"), scsTable)
	if err != nil {
		return nil, err
	}
	sm := scs.New()
	// No cleanup goroutine (interval 0): it would outlive the pool, and its
	// default period (5 minutes) is longer than a run, in which no session
	// expires anyway. StopCleanup, right after New, races with its start.
	sm.Store = pgxstore.NewWithCleanupInterval(pool, 0)
	sm.Lifetime = lifetime
	mux := netHTTPRoutes(func(r *http.Request) session { return scsSession{sm, r.Context()} })
	return netHTTPServer(sm.LoadAndSave(mux), poolCloser{pool}), nil
}
