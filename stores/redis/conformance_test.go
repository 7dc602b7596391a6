package redisstore_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/vishnu-go/vishnu/conformance"
	vishnu "github.com/vishnu-go/vishnu/core"
	redisstore "github.com/vishnu-go/vishnu/stores/redis"
)

// storeOptions are what the store claims: millisecond expiry (PXAT), no size
// limit of its own (Redis takes strings up to 512 MB), and errors, not
// "not found", when the server cannot be reached.
func storeOptions(kind string) conformance.StoreOptions {
	return conformance.StoreOptions{
		TTLResolution:  100 * time.Millisecond,
		NewUnavailable: func(t *testing.T) vishnu.Store { return unreachableStore(t, kind) },
	}
}

// TestConformance runs the store suite on a single server and on a cluster.
func TestConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			c := b.newClient(t)
			conformance.TestStore(t, func(t *testing.T) vishnu.Store {
				return newStore(t, c).Store
			}, storeOptions(b.name))
		})
	}
}

// TestSentinelConformance runs the store suite through a Sentinel failover
// client, on a master and a Sentinel that the test starts.
func TestSentinelConformance(t *testing.T) {
	master := startRedisServer(t)
	sentinel := startSentinel(t, master.addr())
	c := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName:    "vishnu",
		SentinelAddrs: []string{sentinel.addr()},
	})
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("the failover client cannot reach the master: %v", err)
	}
	conformance.TestStore(t, func(t *testing.T) vishnu.Store {
		return newStore(t, c).Store
	}, storeOptions("single"))
}

// TestAdapterConformance runs the adapter suite through core's net/http
// middleware with the store on a single server: 100 concurrent requests on
// one session, logout racing with writers, a failing store, and the rest.
func TestAdapterConformance(t *testing.T) {
	c := singleClient(t)
	conformance.TestAdapter(t, conformance.NetHTTP, conformance.AdapterOptions{
		NewStore:       func(t *testing.T) vishnu.Store { return newStore(t, c).Store },
		NewUnavailable: func(t *testing.T) vishnu.Store { return unreachableStore(t, "single") },
	})
}

// unreachableStore returns a store whose client points at loopback ports
// where nothing listens.
func unreachableStore(t *testing.T, kind string) vishnu.Store {
	t.Helper()
	closedAddr := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}
	var c redis.UniversalClient
	switch kind {
	case "cluster":
		c = redis.NewClusterClient(&redis.ClusterOptions{
			Addrs:       []string{closedAddr(), closedAddr(), closedAddr()},
			DialTimeout: 200 * time.Millisecond, DialerRetries: 1, MaxRedirects: 1,
		})
	default:
		c = redis.NewClient(&redis.Options{
			Addr:        closedAddr(),
			DialTimeout: 200 * time.Millisecond, DialerRetries: 1, MaxRetries: -1,
		})
	}
	t.Cleanup(func() { _ = c.Close() })
	s, err := redisstore.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
