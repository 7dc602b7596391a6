package memcachestore

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/vishnu-go/vishnu/conformance"
	vishnu "github.com/vishnu-go/vishnu/core"
	"github.com/vishnu-go/vishnu/internal/testserver"
)

// testAddrs returns the shared memcached nodes (testserver.Memcached),
// having checked that each answers; otherwise the test is unavailable.
func testAddrs(t testing.TB) []string {
	t.Helper()
	addrs := testserver.Memcached(t)
	for _, a := range addrs {
		c := memcache.New(a)
		c.Timeout = 2 * time.Second
		err := c.Ping()
		c.Close()
		if err != nil {
			conformance.Unavailable(t, "memcached at %s does not answer: %v", a, err)
		}
	}
	return addrs
}

func TestMain(m *testing.M) { os.Exit(testserver.Run(m)) }

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
