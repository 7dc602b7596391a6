package testserver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// ErrNotInstalled is wrapped by the error of a starter whose server cannot
// be found on this machine; tests skip (or fail, in CI) on it.
var ErrNotInstalled = errors.New("testserver: server not installed")

// account is the user a server runs as: nil for the current one. Servers
// that refuse to run as root (PostgreSQL) run as their own system user
// when the tests run as root, as they do in CI containers.
type account struct {
	uid, gid uint32
}

// lookupAccount returns the account of the system user name, or nil when
// the tests do not run as root.
func lookupAccount(name string) (*account, error) {
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
	return &account{uint32(uid), uint32(gid)}, nil
}

// tempDir makes a temporary directory that a owns (the test's own
// t.TempDir sits under a directory only root may enter).
func tempDir(pattern string, a *account) (string, error) {
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		return "", fmt.Errorf("testserver: %w", err)
	}
	if a != nil {
		if err := os.Chown(dir, int(a.uid), int(a.gid)); err != nil {
			_ = os.RemoveAll(dir)
			return "", fmt.Errorf("testserver: %w", err)
		}
	}
	return dir, nil
}

// command returns cmd set to run as a, in a process group of its own (so
// that Kill reaches the server's children too), its output appended to
// logFile.
func command(a *account, logFile *os.File, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if a != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: a.uid, Gid: a.gid}
	}
	return cmd
}

// run runs a command to its end, returning its output with the error.
func run(a *account, dir, name string, args ...string) error {
	log, err := os.CreateTemp(dir, filepath.Base(name)+"-*.log")
	if err != nil {
		return fmt.Errorf("testserver: %w", err)
	}
	defer log.Close()
	if err := command(a, log, name, args...).Run(); err != nil {
		out, _ := os.ReadFile(log.Name())
		return fmt.Errorf("testserver: %s: %w\n%s", filepath.Base(name), err, out)
	}
	return nil
}

// process is a server running in the background.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once it has exited
}

// start starts cmd and watches for its exit.
func start(cmd *exec.Cmd) (*process, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// running reports whether the process has not exited.
func (p *process) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// kill kills the process group with SIGKILL, no chance to clean up, as a
// crash or an OOM kill would, and waits for the process to exit.
func (p *process) kill() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.exited
}
