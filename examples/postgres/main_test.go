package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strings"
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

var endForm = regexp.MustCompile(`name="id" value="([^"]+)"`)

// TestYourSessions: three browsers of one user each list the three
// sessions, kept in PostgreSQL's index of sessions per user; ending one
// logs it out, and signing out everywhere else leaves only the browser
// that asked.
func TestYourSessions(t *testing.T) {
	base := pagestest.StartRun(testRun(t))(t)
	laptop, phone, tablet := pagestest.NewBrowser(t, base), pagestest.NewBrowser(t, base), pagestest.NewBrowser(t, base)
	for _, b := range []*pagestest.Browser{laptop, phone, tablet} {
		b.Post("/login", url.Values{"username": {"alice"}})
	}
	p := laptop.Home()
	ids := endForm.FindAllStringSubmatch(p.Body, -1)
	if n := strings.Count(p.Body, "<li>"); n != 3 || len(ids) != 2 {
		t.Fatalf("the laptop lists %d sessions with %d End buttons, want 3 and 2:\n%s", n, len(ids), p.Body)
	}
	laptop.Post("/sessions/end", url.Values{"id": {ids[0][1]}})
	out := 0
	for _, b := range []*pagestest.Browser{phone, tablet} {
		if b.Home().Field("user") == "not logged in" {
			out++
		}
	}
	if out != 1 {
		t.Fatalf("%d browsers logged out after ending one session, want 1", out)
	}
	laptop.Post("/sessions/end-others", nil)
	for _, b := range []*pagestest.Browser{phone, tablet} {
		pagestest.Expect(t, b.Home(), map[string]string{"user": "not logged in"})
	}
	p = laptop.Home()
	pagestest.Expect(t, p, map[string]string{"user": "alice"})
	if n := strings.Count(p.Body, "<li>"); n != 1 {
		t.Fatalf("after signing out everywhere else the laptop lists %d sessions, want 1", n)
	}
}
