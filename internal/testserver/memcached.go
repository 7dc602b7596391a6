package testserver

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// MemcachedAddrsEnv names the memcached nodes the caller runs
// (comma-separated host:port); when it is set, nothing is started.
const MemcachedAddrsEnv = "VISHNU_MEMCACHE_ADDRS"

// Memcached returns the addresses of three memcached nodes shared by the
// tests of this binary: VISHNU_MEMCACHE_ADDRS when it is set, else nodes
// started on first use and stopped by Run. Without memcached the test is
// unavailable (conformance.Unavailable).
func Memcached(t testing.TB) []string {
	t.Helper()
	if v := os.Getenv(MemcachedAddrsEnv); v != "" {
		var addrs []string
		for a := range strings.SplitSeq(v, ",") {
			if a = strings.TrimSpace(a); a != "" {
				addrs = append(addrs, a)
			}
		}
		return addrs
	}
	addrs, err := sharedMemcached()
	if err != nil {
		require(t, err)
	}
	return addrs
}

var sharedMemcached = sync.OnceValues(func() ([]string, error) {
	p, err := memcachedProgram()
	if err != nil {
		return nil, err
	}
	var addrs []string
	for range 3 {
		s, err := startProgram(p)
		if err != nil {
			return nil, err
		}
		keep("", s)
		addrs = append(addrs, s.Addr)
	}
	return addrs, nil
})

// StartMemcached starts a memcached node of t's own on a free loopback
// port, stopped when t ends: for tests that kill or restart a node.
func StartMemcached(t testing.TB) *Server {
	t.Helper()
	p, err := memcachedProgram()
	if err != nil {
		require(t, err)
	}
	return startTest(t, p)
}

// memcachedProgram runs memcached on loopback, without UDP, with 64 MB of
// memory; as the user nobody when we are root, since memcached refuses to
// run as root.
func memcachedProgram() (program, error) {
	path, err := lookPath("memcached", "memcached")
	if err != nil {
		return program{}, err
	}
	p := program{
		name: "memcached",
		path: path,
		args: func(port string) []string {
			return []string{"-l", "127.0.0.1", "-p", port, "-U", "0", "-m", "64", "-c", "1024"}
		},
		ready: memcachedVersion,
		wait:  15 * time.Second,
	}
	// As nobody when we are root, rather than with memcached's -u (see runAs).
	if p.cred, err = runAs("nobody"); err != nil {
		return program{}, err
	}
	return p, nil
}

// memcachedVersion asks the node at addr for its version.
func memcachedVersion(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(3 * time.Second)); err != nil {
		return err
	}
	if _, err := c.Write([]byte("version\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "VERSION ") {
		return fmt.Errorf("version answered %q", line)
	}
	return nil
}
