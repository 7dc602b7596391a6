package memcachestore

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/vishnu-go/vishnu/conformance"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// addrsEnv names the memcached nodes the tests use, as scripts/test.sh
// exports them.
const addrsEnv = "VISHNU_MEMCACHE_ADDRS"

// testAddrs returns the memcached nodes of VISHNU_MEMCACHE_ADDRS, having
// checked that each answers; otherwise the test is unavailable.
func testAddrs(t testing.TB) []string {
	t.Helper()
	v := strings.TrimSpace(os.Getenv(addrsEnv))
	if v == "" {
		conformance.Unavailable(t, "%s is not set; run ./scripts/test.sh, or start memcached and set it to host:port[,host:port...]", addrsEnv)
	}
	var addrs []string
	for a := range strings.SplitSeq(v, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	for _, a := range addrs {
		c := memcache.New(a)
		c.Timeout = 2 * time.Second
		err := c.Ping()
		c.Close()
		if err != nil {
			conformance.Unavailable(t, "memcached at %s (from %s) does not answer: %v", a, addrsEnv, err)
		}
	}
	return addrs
}

// newClient returns a client of addrs sized for the tests' concurrency.
func newClient(t testing.TB, addrs ...string) *memcache.Client {
	t.Helper()
	c := memcache.New(addrs...)
	c.Timeout = 2 * time.Second
	c.MaxIdleConns = 128
	t.Cleanup(func() { c.Close() })
	return c
}

// newTestStore returns a Store on addrs with a prefix of its own, so that
// tests never see each other's records.
func newTestStore(t testing.TB, addrs []string, opts ...Option) *Store {
	t.Helper()
	opts = append([]Option{WithPrefix(randomPrefix(t))}, opts...)
	s, err := New(newClient(t, addrs...), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func randomPrefix(t testing.TB) string {
	return "vt" + randomHex(t, 6) + ":"
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// randomID returns an id shaped like Vishnu's.
func randomID(t testing.TB) string {
	return randomHex(t, 16) + "abcdefghijk"
}

// memcachedNode is a memcached process started by a test.
type memcachedNode struct {
	t      testing.TB
	bin    string
	addr   string
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
	out    strings.Builder
}

// startMemcached starts a memcached on a free loopback port, stopped when
// the test ends. Without a memcached binary the test is unavailable.
func startMemcached(t testing.TB) *memcachedNode {
	t.Helper()
	bin, err := exec.LookPath("memcached")
	if err != nil {
		conformance.Unavailable(t, "memcached is not installed (apt-get install memcached): %v", err)
	}
	// A free port may be taken by someone else before memcached binds it:
	// then try another.
	for try := 0; ; try++ {
		n := &memcachedNode{t: t, bin: bin, addr: closedPort(t)}
		err := n.start()
		if err == nil {
			t.Cleanup(n.stop)
			return n
		}
		if try == 4 {
			t.Fatal(err)
		}
	}
}

// start starts memcached on n.addr and waits until it answers.
func (n *memcachedNode) start() error {
	host, port, _ := net.SplitHostPort(n.addr)
	args := []string{"-l", host, "-p", port, "-U", "0", "-m", "64"}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "nobody") // memcached refuses to run as root
	}
	n.cmd = exec.Command(n.bin, args...)
	n.out.Reset()
	n.cmd.Stdout, n.cmd.Stderr = &n.out, &n.out
	if err := n.cmd.Start(); err != nil {
		return fmt.Errorf("start memcached: %w", err)
	}
	n.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) {
		cmd.Wait()
		close(exited)
	}(n.cmd, n.exited)
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-n.exited:
			n.cmd = nil
			return fmt.Errorf("memcached on %s exited at start: %s", n.addr, n.out.String())
		default:
		}
		c := memcache.New(n.addr)
		err := c.Ping()
		c.Close()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			n.stop()
			return fmt.Errorf("memcached on %s did not come up in 10s: %v; its output: %s", n.addr, err, n.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// restart starts memcached again on the same address, after stop.
func (n *memcachedNode) restart() {
	n.t.Helper()
	if err := n.start(); err != nil {
		n.t.Fatal(err)
	}
}

// stop kills the process, as a crash or a lost machine would.
func (n *memcachedNode) stop() {
	if n.cmd == nil {
		return
	}
	n.cmd.Process.Kill()
	<-n.exited
	n.cmd = nil
}

// mustFail fails t unless err is a real error: not nil and not ErrNotFound.
func mustFail(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
	if errors.Is(err, vishnu.ErrNotFound) {
		t.Fatalf("%s: got ErrNotFound for a failure that is not a missing record: %v", what, err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// closedPort returns a loopback address nothing listens on.
func closedPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
