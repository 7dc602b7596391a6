package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/vishnu-go/vishnu/conformance"
	"github.com/vishnu-go/vishnu/examples/pages"
	"github.com/vishnu-go/vishnu/examples/pages/pagestest"
	"github.com/vishnu-go/vishnu/internal/testserver"
	pgstore "github.com/vishnu-go/vishnu/stores/postgres"
)

// testRun returns the app's run on the tests' PostgreSQL (see
// testserver.PostgresURL), in a schema of the test's own, dropped when the
// test ends.
func testRun(t *testing.T) pages.RunFunc {
	t.Helper()
	dbURL, err := testserver.PostgresURL(t)
	if errors.Is(err, testserver.ErrNotInstalled) {
		conformance.Unavailable(t, "PostgreSQL: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "vishnu_test_demo_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			t.Logf("dropping schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Logf("dropping schema %s: %v", schema, err)
		}
	})
	return func(ctx context.Context, addr, secret string, log *slog.Logger, ready func(net.Addr)) error {
		return run(ctx, dbURL, addr, secret, log, ready, pgstore.WithSchema(schema))
	}
}

// TestStories walks the app, as main runs it, through the stories every
// example app passes: the counter, login, remember me, bad names and
// cookies, cross-site posts, logout.
func TestStories(t *testing.T) { pagestest.All(t, pagestest.StartRun(testRun(t))) }

// TestRun: run refuses a short secret, starts on a free port, answers,
// and stops cleanly.
func TestRun(t *testing.T) { pagestest.Run(t, testRun(t)) }

// TestYourSessions: the list of the user's sessions from three devices
// (pagestest.YourSessions), kept in PostgreSQL's index of sessions per
// user.
func TestYourSessions(t *testing.T) { pagestest.YourSessions(t, pagestest.StartRun(testRun(t))) }
