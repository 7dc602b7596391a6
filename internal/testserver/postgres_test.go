package testserver

import (
	"errors"
	"os"
	"testing"
	"time"
)

// TestPostgres starts a server, kills it and starts it again on its port:
// it accepts connections exactly while it runs.
func TestPostgres(t *testing.T) {
	pg, err := StartPostgres(t)
	if errors.Is(err, ErrNotInstalled) && os.Getenv("CI") != "true" { // in CI, a missing server fails
		t.Skipf("PostgreSQL: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !Answers(pg.Addr(), time.Second) {
		t.Fatalf("nothing answers at %s after StartPostgres", pg.Addr())
	}
	pg.Kill()
	if Answers(pg.Addr(), time.Second) {
		t.Fatalf("something still answers at %s after Kill", pg.Addr())
	}
	pg.Kill() // killing a stopped server does nothing
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	if !Answers(pg.Addr(), time.Second) {
		t.Fatalf("nothing answers at %s after Start", pg.Addr())
	}
	if err := pg.Start(); err == nil {
		t.Error("Start of a running server: nil error")
	}
}

// TestPostgresURLFromEnv: the environment's URL wins, unchecked.
func TestPostgresURLFromEnv(t *testing.T) {
	t.Setenv(EnvPostgresURL, "postgres://someone@192.0.2.1:5432/db")
	if url, err := PostgresURL(t); err != nil || url != "postgres://someone@192.0.2.1:5432/db" {
		t.Errorf("PostgresURL = %q, %v", url, err)
	}
}
