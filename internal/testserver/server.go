package testserver

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vishnu-go/vishnu/conformance"
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

// errMissing marks a program that is not installed: the test is then
// unavailable (conformance.Unavailable) rather than failed.
var errMissing = errors.New("not installed")

// require reports err, from starting a server, to t: a missing program makes
// the test unavailable (skipped; failed with CI=true), anything else fails it.
func require(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, errMissing) {
		conformance.Unavailable(t, "%v", err)
	}
	t.Fatal(err)
}

// lookPath finds an executable on PATH, or reports it missing with the
// Debian package that provides it.
func lookPath(name, pkg string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("testserver: %s is %w (apt-get install %s, or ./scripts/test.sh as root)", name, errMissing, pkg)
	}
	return p, nil
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
		s := &Server{Addr: "127.0.0.1:" + strconv.Itoa(port), p: p, port: strconv.Itoa(port)}
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
	// A process group of its own, so that a kill reaches whatever the server
	// starts; and SIGKILL when the test binary dies without stopping it (a
	// test timeout, a panic), so that no server outlives the tests.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: s.p.cred}
	if err := spawn(cmd); err != nil {
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

// sharedDir makes the folder of a shared server.
func sharedDir(name string) (string, error) {
	d, err := os.MkdirTemp("", "vishnu-"+name+"-")
	if err != nil {
		return "", fmt.Errorf("testserver: %w", err)
	}
	return d, nil
}

// listenFree returns a loopback port that nothing listens on (until
// someone else takes it: start then tries another). With bus, the port it
// maps to must be free too.
func listenFree(bus func(port int) (int, bool)) (int, error) {
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("testserver: no free loopback port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		if bus == nil {
			_ = l.Close()
			return port, nil
		}
		ok := false
		if second, valid := bus(port); valid {
			if l2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(second)); err == nil {
				_ = l2.Close()
				ok = true
			}
		}
		_ = l.Close()
		if ok {
			return port, nil
		}
	}
	return 0, errors.New("testserver: no free pair of loopback ports")
}

// spawn starts cmd from a thread that never exits. Pdeathsig fires when the
// thread that started the child exits, not the process: started from any
// goroutine's thread, a server could be killed mid-test when the Go runtime
// ends that thread.
func spawn(cmd *exec.Cmd) error {
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
