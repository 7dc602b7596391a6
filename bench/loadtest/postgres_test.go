package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/vishnu-go/vishnu/conformance"
	"github.com/vishnu-go/vishnu/internal/testserver"
	pgstore "github.com/vishnu-go/vishnu/stores/postgres"
)

// pgTables is the sessions table of each row on PostgreSQL, one row per
// session.
var pgTables = map[string]string{
	"vishnu" + postgresSuffix: pgstore.DefaultTable,
	"scs" + postgresSuffix:    "sessions",
}

// testPostgres returns the URL of the test's PostgreSQL, a connection to
// it, and a schema prefix of the test's own, whose schemas are dropped when
// t ends (after the servers, whose cleanups come later).
func testPostgres(t *testing.T) (string, *pgx.Conn, string) {
	t.Helper()
	url, err := testserver.PostgresURL(t)
	if errors.Is(err, testserver.ErrNotInstalled) {
		conformance.Unavailable(t, "PostgreSQL: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		conformance.Unavailable(t, "PostgreSQL at %s: %v", url, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "loadtest_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, short := range []string{"vishnu", "scs"} {
			schema := pgx.Identifier{postgresSchema(Config{PostgresSchema: prefix}, short)}.Sanitize()
			if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
				t.Errorf("dropping %s: %v", schema, err)
			}
		}
		conn.Close(ctx)
	})
	return url, conn, prefix
}

// sessionRows counts the rows of lib's sessions table.
func sessionRows(t *testing.T, conn *pgx.Conn, cfg Config, lib string) int {
	t.Helper()
	short := lib[:len(lib)-len(postgresSuffix)]
	table := pgx.Identifier{postgresSchema(cfg, short), pgTables[lib]}.Sanitize()
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatalf("counting %s: %v", table, err)
	}
	return n
}

// TestPostgresLibraries runs both mixes, a few hundred requests each, on
// the rows on PostgreSQL, with no Redis. Each must answer every request
// with a 200, keep its sessions in its own schema's table, and start on an
// empty one; Vishnu must keep every write, the hot session's included.
// scs's lost updates vary from run to run and are logged.
func TestPostgresLibraries(t *testing.T) {
	url, conn, prefix := testPostgres(t)
	var libs []string
	for _, lib := range Libraries() {
		if onPostgres(lib) {
			libs = append(libs, lib)
		}
	}
	if want := []string{"vishnu-postgres", "scs-postgres"}; !slices.Equal(libs, want) {
		t.Fatalf("libraries on PostgreSQL %q, want %q", libs, want)
	}
	cfg := Config{PostgresURL: url, PostgresSchema: prefix}
	for _, lib := range libs {
		t.Run(lib, func(t *testing.T) {
			s, err := NewServer(lib, cfg)
			if err != nil {
				t.Fatal(err)
			}
			srv := serve(t, s)
			rw := Options{Mix: MixReadWrite, Sessions: 40, Conns: 4, Requests: 300}
			hot := Options{Mix: MixHot, Conns: 4, Requests: 200}
			for _, o := range []Options{rw, hot} {
				o.Addr, o.Duration = srv, 20*time.Second
				res, err := Run(t.Context(), o)
				if err != nil {
					t.Fatalf("%s: %v", o.Mix, err)
				}
				t.Logf("%s: %.0f req/s, p50 %.0f µs, p99 %.0f µs, lost %d of %d",
					o.Mix, res.RPS, res.P50us, res.P99us, res.Lost, res.Writes)
				if res.Requests != o.Requests || res.Errors != 0 {
					t.Errorf("%s: %d requests answered, %d errors (%s); want %d and none", o.Mix, res.Requests, res.Errors, res.FirstError, o.Requests)
				}
				if o.Mix == MixHot && res.Writes != o.Requests {
					t.Errorf("hot: %d writes answered 200, want %d", res.Writes, o.Requests)
				}
				if o.Mix == MixReadWrite && (res.Writes == 0 || res.Writes >= o.Requests/3) {
					t.Errorf("rw: %d writes of %d requests, want about a tenth", res.Writes, o.Requests)
				}
				if lib == "vishnu"+postgresSuffix && res.Lost != 0 {
					t.Errorf("%s: lost %d of %d writes, want none", o.Mix, res.Lost, res.Writes)
				}
			}
			// Every session the runs made is a row of the library's table.
			if n, want := sessionRows(t, conn, cfg, lib), rw.Sessions+1; n != want {
				t.Errorf("%d sessions in PostgreSQL after the runs, want %d", n, want)
			}
			// A new server of the library starts on an empty table.
			again, err := NewServer(lib, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := again.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if n := sessionRows(t, conn, cfg, lib); n != 0 {
				t.Errorf("%d sessions in PostgreSQL after a server started, want none", n)
			}
		})
	}
}
