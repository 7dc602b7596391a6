package testserver

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
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

// childEnv marks the test binary that TestPostgresDiesWithTheTestBinary
// starts and kills.
const childEnv = "VISHNU_TESTSERVER_CHILD"

// TestPostgresChild is the child of TestPostgresDiesWithTheTestBinary: it
// starts PostgreSQL, says where, and waits to be killed.
func TestPostgresChild(t *testing.T) {
	if os.Getenv(childEnv) != "postgres" {
		t.Skip("run by TestPostgresDiesWithTheTestBinary")
	}
	pg, err := StartPostgres(t)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("postgres %s %s\n", pg.Addr(), pg.dir)
	select {}
}

// TestPostgresDiesWithTheTestBinary: a test binary killed outright (a
// timeout, an OOM kill) takes its PostgreSQL with it.
func TestPostgresDiesWithTheTestBinary(t *testing.T) {
	if _, err := postgresBin(); err != nil {
		t.Skip(err)
	}
	child := exec.Command(os.Args[0], "-test.run=^TestPostgresChild$", "-test.v")
	child.Env = append(os.Environ(), childEnv+"=postgres")
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
	var addr, dir string
	for lines := bufio.NewScanner(out); addr == "" && lines.Scan(); {
		if f := strings.Fields(lines.Text()); len(f) == 3 && f[0] == "postgres" {
			addr, dir = f[1], f[2]
		}
	}
	if addr == "" {
		t.Fatal("the child did not start PostgreSQL")
	}
	defer os.RemoveAll(dir) // the killed child could not
	if !Answers(addr, time.Second) {
		t.Fatalf("nothing answers at %s, where the child started PostgreSQL", addr)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	for deadline := time.Now().Add(10 * time.Second); Answers(addr, time.Second); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("PostgreSQL at %s outlived the killed test binary", addr)
		}
	}
}

// TestPostgresURLFromEnv: the environment's URL wins, unchecked.
func TestPostgresURLFromEnv(t *testing.T) {
	t.Setenv(EnvPostgresURL, "postgres://someone@192.0.2.1:5432/db")
	if url, err := PostgresURL(t); err != nil || url != "postgres://someone@192.0.2.1:5432/db" {
		t.Errorf("PostgresURL = %q, %v", url, err)
	}
}
