package testserver

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"
)

// FreePort returns a loopback TCP port that nothing listens on now. Another
// process may take it before the caller does; a server that then fails to
// bind says so in its log.
func FreePort() (int, error) { return listenFree(nil) }

// listenFree returns a loopback port that nothing listens on (until
// someone else takes it: startProgram then tries another). With bus, the
// port it maps to must be free too.
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
