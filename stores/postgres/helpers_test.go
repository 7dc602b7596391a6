package pgstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/vishnu-go/vishnu/conformance"
	vishnu "github.com/vishnu-go/vishnu/core"
	"github.com/vishnu-go/vishnu/internal/testserver"
	pgstore "github.com/vishnu-go/vishnu/stores/postgres"
)

// serverURL returns the URL of the PostgreSQL the tests use (see
// testserver.PostgresURL), or marks it unavailable.
func serverURL(t testing.TB) string {
	t.Helper()
	url, err := testserver.PostgresURL(t)
	if errors.Is(err, testserver.ErrNotInstalled) {
		conformance.Unavailable(t, "PostgreSQL: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return url
}

// newPool returns a pool on url, closed when t ends, after checking that
// the server answers.
func newPool(t testing.TB, url string, configure ...func(*pgxpool.Config)) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range configure {
		f(cfg)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := pool.Ping(ctx); err != nil {
		conformance.Unavailable(t, "PostgreSQL at %s (%s): %v", url, testserver.EnvPostgresURL, err)
	}
	return pool
}

// testSchema returns a schema name that no other test (or test run) uses.
func testSchema() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "vishnu_test_" + hex.EncodeToString(b)
}

// fixture is a Store under test with the pool and schema beneath it.
type fixture struct {
	*pgstore.Store
	pool   *pgxpool.Pool
	schema string
}

// newStore returns a migrated Store on pool in a schema of its own, which
// is dropped when t ends.
func newStore(t testing.TB, pool *pgxpool.Pool, opts ...pgstore.Option) *fixture {
	t.Helper()
	schema := testSchema()
	s, err := pgstore.New(pool, append([]pgstore.Option{pgstore.WithSchema(schema)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t.Cleanup(func() { dropSchema(t, pool, schema) })
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return &fixture{Store: s, pool: pool, schema: schema}
}

func dropSchema(t testing.TB, pool *pgxpool.Pool, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := pool.Exec(ctx, `DROP SCHEMA IF EXISTS "`+schema+`" CASCADE`); err != nil {
		t.Logf("dropping schema %s: %v", schema, err)
	}
}

// tripCounter counts round trips on the connections of a pool: a round
// trip is the client sending and then reading the answer, so each switch
// from writing to reading counts one, however many messages a write holds
// (pgx sends Bind, Execute and Sync of a prepared statement in one write).
type tripCounter struct{ n atomic.Int64 }

// configure makes pool configurations dial through the counter.
func (tc *tripCounter) configure(cfg *pgxpool.Config) {
	dial := cfg.ConnConfig.DialFunc
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: c, tc: tc}, nil
	}
}

// count returns the round trips made by f.
func (tc *tripCounter) count(f func()) int64 {
	before := tc.n.Load()
	f()
	return tc.n.Load() - before
}

type countingConn struct {
	net.Conn
	tc    *tripCounter
	mu    sync.Mutex
	wrote bool // since the last read
}

func (c *countingConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.wrote = true
	c.mu.Unlock()
	return c.Conn.Write(b)
}

func (c *countingConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	if c.wrote {
		c.wrote = false
		c.tc.n.Add(1)
	}
	c.mu.Unlock()
	return c.Conn.Read(b)
}

// closedAddr returns a loopback address where nothing listens.
func closedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// poolAt returns a pool of connections to addr, which need not answer:
// nothing is dialled until a call needs a connection.
func poolAt(t testing.TB, addr string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig("postgres://postgres@" + addr + "/postgres?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// storeAt returns a store on poolAt(addr).
func storeAt(t testing.TB, addr string) *pgstore.Store {
	t.Helper()
	s, err := pgstore.New(poolAt(t, addr))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// record returns the record of fields.
func record(fields map[string]string) []byte {
	m := make(map[string][]byte, len(fields))
	for k, v := range fields {
		m[k] = []byte(v)
	}
	return vishnu.EncodeRecord(m)
}

// set returns the fields of name, value pairs.
func set(kv ...string) []vishnu.Field {
	var fs []vishnu.Field
	for i := 0; i+1 < len(kv); i += 2 {
		fs = append(fs, vishnu.Field{Key: kv[i], Value: []byte(kv[i+1])})
	}
	return fs
}
