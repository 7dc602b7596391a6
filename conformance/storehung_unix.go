//go:build unix

package conformance

import (
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"
)

// newFullListener returns the address of a loopback socket that listens
// and never accepts, with its accept queue already full, so that the kernel
// drops every new connection attempt: a client's dial hangs as it does
// towards a host that has gone away. It returns "" when the queue cannot be
// filled on this system.
func newFullListener(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return ""
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return ""
	}
	if err := syscall.Listen(fd, 0); err != nil {
		return ""
	}
	sa, err := syscall.Getsockname(fd)
	in, ok := sa.(*syscall.SockaddrInet4)
	if err != nil || !ok {
		return ""
	}
	addr := fmt.Sprintf("127.0.0.1:%d", in.Port)
	// Connections the queue takes stay there, never accepted; once a dial
	// times out, the queue is full.
	for range 16 {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			return addr
		}
		t.Cleanup(func() { _ = c.Close() })
	}
	return ""
}
