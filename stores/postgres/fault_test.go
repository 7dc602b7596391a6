package pgstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vishnu-go/vishnu/conformance"
	vishnu "github.com/vishnu-go/vishnu/core"
	"github.com/vishnu-go/vishnu/internal/faultload"
	"github.com/vishnu-go/vishnu/internal/testserver"
	pgstore "github.com/vishnu-go/vishnu/stores/postgres"
)

// TestServerKilled kills the test's own PostgreSQL (SIGKILL to the server
// and its backends) under a running application with a deadline of a
// second on each request, in the middle of a run of requests, and starts it
// again on the same port and data (faultload.Run says what is checked):
// error responses come within the deadline, and some slack for a shared
// machine, and what was committed before the kill is there after it.
func TestServerKilled(t *testing.T) {
	pg, err := testserver.StartPostgres(t)
	if errors.Is(err, testserver.ErrNotInstalled) {
		conformance.Unavailable(t, "PostgreSQL for the fault test: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	const deadline = time.Second
	const slack = 2 * time.Second
	faultload.Run(t, faultload.Config{
		Backend:     "PostgreSQL",
		ErrorPrefix: "pgstore:",
		Connect: func(t testing.TB) (vishnu.Store, func() error) {
			pool := newPool(t, pg.URL())
			// The server is the test's own, removed with its data when it ends.
			store, err := pgstore.New(pool)
			if err != nil {
				t.Fatal(err)
			}
			if err := store.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			return store, func() error { pool.Close(); return nil }
		},
		Kill: pg.Kill,
		Restart: func(t testing.TB) {
			if err := pg.Start(); err != nil {
				t.Fatal(err)
			}
		},
		Durable: true,
		Up:      50, Down: 50, After: 49,
		// Connections the pool held across the kill fail once each.
		Recovery:        2500 * time.Millisecond,
		RequestDeadline: deadline,
		ErrorWithin:     deadline + slack,
		ClientTimeout:   10 * time.Second,
		OtherRequests:   2000,
	})
}
