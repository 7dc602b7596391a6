package testserver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"

	"github.com/vishnu-go/vishnu/conformance"
)

// ErrNotInstalled is wrapped by the error of a starter whose server cannot
// be found on this machine; tests skip (or fail, in CI) on it.
var ErrNotInstalled = errors.New("testserver: not installed")

// require reports err, from starting a server, to t: a missing program makes
// the test unavailable (skipped; failed with CI=true), anything else fails it.
func require(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, ErrNotInstalled) {
		conformance.Unavailable(t, "%v", err)
	}
	t.Fatal(err)
}

// lookPath finds an executable on PATH, or reports it missing with the
// Debian package that provides it.
func lookPath(name, pkg string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%w: %s (apt-get install %s, or ./scripts/test.sh as root)", ErrNotInstalled, name, pkg)
	}
	return p, nil
}

// runAs returns the credential of the system user name for a server that
// refuses to run as root (PostgreSQL, memcached), or nil when the tests do
// not run as root. The user is set before exec rather than by the server
// itself: a process that changes its user loses its parent-death signal.
func runAs(name string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("%w: running as root needs the system user %q to run the server as: %v", ErrNotInstalled, name, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("testserver: user %q: %w", name, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// tempDir makes a temporary directory that cred's user owns (nil: ours);
// the test's own t.TempDir sits under a directory only root may enter.
func tempDir(pattern string, cred *syscall.Credential) (string, error) {
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		return "", fmt.Errorf("testserver: %w", err)
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			_ = os.RemoveAll(dir)
			return "", fmt.Errorf("testserver: %w", err)
		}
	}
	return dir, nil
}

// spawn starts cmd as cred's user (nil: ours) in a process group of its own,
// so that a kill reaches whatever it starts, with SIGKILL when the test
// binary dies without stopping it (a test timeout, a panic), so that no
// server outlives the tests. It starts cmd from a thread that never exits:
// Pdeathsig fires when the thread that started the child exits, not the
// process, so started from any goroutine's thread a server could be killed
// mid-test when the Go runtime ends that thread.
func spawn(cmd *exec.Cmd, cred *syscall.Credential) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: cred}
	spawnOnce.Do(func() {
		go func() {
			runtime.LockOSThread() // never unlocked: the thread lives as long as the binary
			for req := range spawnReqs {
				req.done <- req.cmd.Start()
			}
		}()
	})
	done := make(chan error, 1)
	spawnReqs <- spawnReq{cmd, done}
	return <-done
}

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

var (
	spawnOnce sync.Once
	spawnReqs = make(chan spawnReq)
)

// run runs a command to its end as cred's user, returning its output with
// the error.
func run(cred *syscall.Credential, dir, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out := new(outputTail)
	cmd.Stdout, cmd.Stderr = out, out
	err := spawn(cmd, cred)
	if err == nil {
		err = cmd.Wait()
	}
	if err != nil {
		return fmt.Errorf("testserver: %s: %w\n%s", filepath.Base(name), err, out)
	}
	return nil
}
