package testserver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// EnvPostgresURL names the environment variable that points the tests at a
// PostgreSQL server of the caller's choosing, as a pgx connection URL:
// postgres://postgres@127.0.0.1:5432/test, say.
const EnvPostgresURL = "VISHNU_POSTGRES_URL"

// defaultPostgres is where the test machines run PostgreSQL, with trust
// authentication for the user postgres.
const defaultPostgres = "127.0.0.1:5432"

// PostgresURL returns the URL of a PostgreSQL server for t: the one
// EnvPostgresURL names; else the one at 127.0.0.1:5432 when something
// answers there; else one started for t alone (see StartPostgres), stopped
// when t ends. Its error wraps ErrNotInstalled when there is none and none
// can be started.
func PostgresURL(t testing.TB) (string, error) {
	t.Helper()
	if url := os.Getenv(EnvPostgresURL); url != "" {
		return url, nil
	}
	if Answers(defaultPostgres, time.Second) {
		return "postgres://postgres@" + defaultPostgres + "/postgres?sslmode=disable", nil
	}
	pg, err := StartPostgres(t)
	if err != nil {
		return "", err
	}
	return pg.URL(), nil
}

// Postgres is a PostgreSQL server a test started, with its data in a
// temporary directory, listening on a loopback port of its own, with trust
// authentication for the user postgres.
type Postgres struct {
	dir string

	mu  sync.Mutex
	srv *Server // the postmaster, started like every other server
}

// StartPostgres creates a database cluster (initdb) in a temporary
// directory and starts PostgreSQL on it, on a free loopback port; it is
// killed and its directory removed when t ends. The server binaries are
// looked for on PATH, then in /usr/lib/postgresql/*/bin (Debian's place);
// when the tests run as root, the server runs as the system user postgres,
// since PostgreSQL refuses root. Durability is kept where a test can see
// it: fsync is off, which only matters if the machine itself crashes, so
// a killed server keeps every committed transaction.
func StartPostgres(t testing.TB) (*Postgres, error) {
	t.Helper()
	bin, err := postgresBin()
	if err != nil {
		return nil, err
	}
	cred, err := runAs("postgres")
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	dir, err := tempDir("vishnu-postgres-*", cred)
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	pg := &Postgres{dir: dir, srv: newServer(program{
		name: "PostgreSQL",
		path: filepath.Join(bin, "postgres"),
		args: func(port string) []string {
			return []string{"-D", data, "-p", port,
				"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + dir,
				"-c", "fsync=off", "-c", "max_connections=200"}
		},
		cred: cred,
		ready: func(addr string) error {
			return exec.Command(filepath.Join(bin, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "postgres", "-t", "1").Run()
		},
		wait: 30 * time.Second,
	}, port)}
	t.Cleanup(pg.close)
	if err := run(cred, dir, filepath.Join(bin, "initdb"), "--pgdata="+data, "--username=postgres",
		"--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"); err != nil {
		return nil, err
	}
	if err := pg.Start(); err != nil {
		return nil, err
	}
	return pg, nil
}

// postgresBin returns the directory of the PostgreSQL server binaries:
// that of initdb on PATH (where a link to it leads: the other binaries may
// not be linked beside it), else the newest /usr/lib/postgresql/N/bin.
func postgresBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(dirs) == 0 {
		return "", fmt.Errorf("%w: PostgreSQL (initdb is neither on PATH nor in /usr/lib/postgresql/*/bin)", ErrNotInstalled)
	}
	version := func(p string) int {
		n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(p))))
		return n
	}
	slices.SortFunc(dirs, func(a, b string) int { return version(a) - version(b) })
	return filepath.Dir(dirs[len(dirs)-1]), nil
}

// Addr returns the server's host:port.
func (pg *Postgres) Addr() string { return pg.srv.Addr }

// URL returns a pgx connection URL of the server's database postgres.
func (pg *Postgres) URL() string {
	return "postgres://postgres@" + pg.Addr() + "/postgres?sslmode=disable"
}

// Start starts the server, on its port and its data, and waits until it
// accepts connections: after StartPostgres it is already running, so
// Start is for bringing it back after Kill.
func (pg *Postgres) Start() error {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	if pg.srv.cmd != nil {
		return errors.New("testserver: PostgreSQL is already running")
	}
	return pg.srv.run()
}

// Kill kills the server and its backends (SIGKILL, no chance to say
// goodbye to clients or to write a checkpoint), as a crash would, and
// waits for it to exit. Killing a stopped server does nothing.
func (pg *Postgres) Kill() {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	pg.srv.Kill()
}

func (pg *Postgres) close() {
	pg.Kill()
	_ = os.RemoveAll(pg.dir)
}
