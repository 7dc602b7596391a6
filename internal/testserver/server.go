package testserver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A Server is a server process on a loopback port. The ones a test starts
// for itself (StartRedis, StartMemcached, StartDatastore, ...) are stopped
// when that test ends; the shared ones when Run returns.
type Server struct {
	// Addr is the server's host:port.
	Addr string

	p      program
	port   string
	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd has been waited for
	out    *outputTail
}

// A program says how to run one kind of server.
type program struct {
	name  string                     // for messages, e.g. "redis-server"
	path  string                     // the executable
	args  func(port string) []string // its arguments for a port
	dir   string                     // its working directory ("" for the test binary's)
	cred  *syscall.Credential        // the user to run as, nil for ours
	ready func(addr string) error    // one probe: nil once the server serves
	wait  time.Duration              // how long it may take to become ready
	bus   func(port int) (int, bool) // a second port it binds, if any (Redis Cluster's bus)
}

// startTest starts a server for t, stopped when t ends.
func startTest(t testing.TB, p program) *Server {
	t.Helper()
	s, err := startProgram(p)
	if err != nil {
		require(t, err)
	}
	t.Cleanup(s.Stop)
	return s
}

// startProgram runs p on a free port and waits until it serves. A port taken
// between the probe and the server binding it ends the process early: then
// another port is tried.
func startProgram(p program) (*Server, error) {
	var err error
	for range 3 {
		var port int
		if port, err = listenFree(p.bus); err != nil {
			return nil, err
		}
		s := newServer(p, port)
		if err = s.run(); err == nil {
			return s, nil
		}
		if !errors.Is(err, errExited) {
			return nil, err
		}
	}
	return nil, err
}

var errExited = errors.New("exited")

// newServer returns a stopped server that runs p on port.
func newServer(p program, port int) *Server {
	return &Server{Addr: "127.0.0.1:" + strconv.Itoa(port), p: p, port: strconv.Itoa(port)}
}

// Restart starts the server again on the same address, after Kill, and
// waits until it serves; it fails t if it does not.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.run(); err != nil {
		t.Fatal(err)
	}
}

// run starts the process and waits until it serves.
func (s *Server) run() error {
	cmd := exec.Command(s.p.path, s.p.args(s.port)...)
	cmd.Dir = s.p.dir
	s.out = new(outputTail)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := spawn(cmd, s.p.cred); err != nil {
		return fmt.Errorf("testserver: start %s: %w", s.p.name, err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func(exited chan struct{}) { _ = cmd.Wait(); close(exited) }(s.exited)
	deadline := time.Now().Add(s.p.wait)
	for {
		err := s.p.ready(s.Addr)
		if err == nil {
			break
		}
		select {
		case <-s.exited:
			s.cmd = nil
			return fmt.Errorf("testserver: %s on %s %w at start: %v\n%s", s.p.name, s.Addr, errExited, err, s.out)
		default:
		}
		if time.Now().After(deadline) {
			s.Kill()
			return fmt.Errorf("testserver: %s on %s did not serve within %v: %v\n%s", s.p.name, s.Addr, s.p.wait, err, s.out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// Kill ends the server at once (SIGKILL to its process group: no goodbye to
// clients, unsaved data lost, as in a crash) and waits for it to exit.
// Killing a stopped server does nothing.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.exited
	s.cmd = nil
}

// Stop ends the server gracefully (SIGTERM to its process group), killing
// it if it has not exited after 10 seconds. Stopping a stopped server does
// nothing.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.exited:
		s.cmd = nil
	case <-time.After(10 * time.Second):
		s.Kill()
	}
}

// Output returns the last of what the server wrote, for failure messages.
func (s *Server) Output() string { return s.out.String() }

// The shared servers of this test binary, started on first use, stopped by Run.
var shared struct {
	mu      sync.Mutex
	servers []*Server
	dirs    []string
}

// addrFor returns the address that the environment variable env names,
// else that of the shared server, started on first use; without its
// program the test is unavailable (conformance.Unavailable).
func addrFor(t testing.TB, env string, shared func() (string, error)) string {
	t.Helper()
	if addr := os.Getenv(env); addr != "" {
		return addr
	}
	addr, err := shared()
	if err != nil {
		require(t, err)
	}
	return addr
}

// sharedServer returns the starter of a server shared by the tests of this
// binary: on first call it runs the program that makeProgram returns for a
// folder of its own, both kept for Run to stop and remove; later calls
// return the same address, or the same error.
func sharedServer(name string, makeProgram func(dir string) (program, error)) func() (string, error) {
	return sync.OnceValues(func() (string, error) {
		dir, err := tempDir("vishnu-"+name+"-*", nil)
		if err != nil {
			return "", err
		}
		keep(dir)
		p, err := makeProgram(dir)
		if err != nil {
			return "", err
		}
		s, err := startProgram(p)
		if err != nil {
			return "", err
		}
		keep("", s)
		return s.Addr, nil
	})
}

// keep records a shared server (and its folder) for Run to stop.
func keep(dir string, servers ...*Server) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	shared.servers = append(shared.servers, servers...)
	if dir != "" {
		shared.dirs = append(shared.dirs, dir)
	}
}

// Run runs the tests and then stops the shared servers they started (Redis,
// RedisCluster, Memcached, Datastore) and removes their folders. Call it
// from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testserver.Run(m)) }
//
// Without it the servers still end with the test binary (they get SIGKILL
// when it exits), but their folders stay behind in the temporary directory.
func Run(m *testing.M) int {
	code := m.Run()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	for _, s := range shared.servers {
		s.Stop()
	}
	for _, d := range shared.dirs {
		_ = os.RemoveAll(d)
	}
	shared.servers, shared.dirs = nil, nil
	return code
}

// outputTail keeps the last 16 KiB written to it.
type outputTail struct {
	mu  sync.Mutex
	buf []byte
}

func (w *outputTail) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if over := len(w.buf) - 16<<10; over > 0 {
		w.buf = append(w.buf[:0], w.buf[over:]...)
	}
	return len(p), nil
}

func (w *outputTail) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}
