package redisstore_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/vishnu-go/vishnu/conformance"
	vishnu "github.com/vishnu-go/vishnu/core"
	"github.com/vishnu-go/vishnu/internal/testserver"
	redisstore "github.com/vishnu-go/vishnu/stores/redis"
)

// storeOptions are what the store claims: millisecond expiry (PXAT) that
// Redis enforces itself, no size limit of its own (Redis takes strings up
// to 512 MB), errors, not "not found", when the server cannot be reached or
// does not answer, and instances on other clients over the same keys. It
// lacks no guarantee (Lacks is zero): atomic commits, an index of sessions
// per user, a backend shared by every application server.
func storeOptions(kind string, second func(t *testing.T, first vishnu.Store) vishnu.Store) conformance.StoreOptions {
	return conformance.StoreOptions{
		TTLResolution:     100 * time.Millisecond,
		Expiry:            conformance.BackendExpires,
		NewUnavailable:    func(t *testing.T) vishnu.Store { return unreachableStore(t, kind) },
		NewUnresponsive:   func(t *testing.T, addr string) vishnu.Store { return unresponsiveStore(t, kind, addr) },
		NewSecondInstance: second,
	}
}

// conformanceStores returns the suite's factory, stores on clients made by
// newClient with fresh key prefixes, and its NewSecondInstance: a store on
// another client of newClient with the first's prefix, as a second
// application server has.
func conformanceStores(newClient func(t testing.TB) redis.UniversalClient) (factory func(*testing.T) vishnu.Store, second func(*testing.T, vishnu.Store) vishnu.Store) {
	var mu sync.Mutex
	prefixes := map[vishnu.Store]string{}
	factory = func(t *testing.T) vishnu.Store {
		f := newStore(t, newClient(t))
		mu.Lock()
		prefixes[f.Store] = f.prefix
		mu.Unlock()
		return f.Store
	}
	second = func(t *testing.T, first vishnu.Store) vishnu.Store {
		mu.Lock()
		prefix, ok := prefixes[first]
		mu.Unlock()
		if !ok {
			t.Fatalf("NewSecondInstance: %T is not a store of this test's factory", first)
		}
		s, err := redisstore.New(newClient(t), redisstore.WithPrefix(prefix))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return factory, second
}

// TestConformance runs the store suite on a single server and on a cluster.
func TestConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			b.newClient(t) // the backend is there, or the test is unavailable
			factory, second := conformanceStores(b.newClient)
			conformance.TestStore(t, factory, storeOptions(b.name, second))
		})
	}
}

// TestSentinelConformance runs the store suite through a Sentinel failover
// client, on a master and a Sentinel that the test starts.
func TestSentinelConformance(t *testing.T) {
	master := startRedisServer(t)
	sentinel := testserver.StartSentinel(t, "vishnu", master.Addr)
	newClient := func(t testing.TB) redis.UniversalClient {
		c := redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName:    "vishnu",
			SentinelAddrs: []string{sentinel.Addr},
		})
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	c := newClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("the failover client cannot reach the master: %v", err)
	}
	factory, second := conformanceStores(newClient)
	conformance.TestStore(t, factory, storeOptions("sentinel", second))
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

// unresponsiveStore returns a store whose client talks to addr, a server
// that accepts connections and never answers, configured as the README
// says: ContextTimeoutEnabled, without which go-redis ignores a context's
// deadline while it waits for a reply (it waits for ReadTimeout, 5 s by
// default, and the Unresponsive cases fail), and no retries (a retry would
// only wait again).
func unresponsiveStore(t *testing.T, kind, addr string) vishnu.Store {
	t.Helper()
	var c redis.UniversalClient
	switch kind {
	case "cluster":
		c = redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}, MaxRedirects: -1, ContextTimeoutEnabled: true})
	case "sentinel":
		// The failover client dials the Sentinel again in the background,
		// with DialTimeout, and Close waits for it.
		c = redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "vishnu", SentinelAddrs: []string{addr}, MaxRetries: -1, ContextTimeoutEnabled: true, DialTimeout: 500 * time.Millisecond})
	default:
		c = redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, ContextTimeoutEnabled: true})
	}
	t.Cleanup(func() { _ = c.Close() })
	s, err := redisstore.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
