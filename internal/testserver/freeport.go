package testserver

import (
	"fmt"
	"net"
	"time"
)

// FreePort returns a loopback TCP port that nothing listens on now. Another
// process may take it before the caller does; a server that then fails to
// bind says so in its log.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("testserver: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Answers reports whether something accepts TCP connections at addr
// within timeout.
func Answers(addr string, timeout time.Duration) bool {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}
