package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/vishnu-go/vishnu/conformance"
	"github.com/vishnu-go/vishnu/internal/testserver"
	redisstore "github.com/vishnu-go/vishnu/stores/redis"
)

// backend is a kind of Redis deployment the store is tested on.
type backend struct {
	name      string
	newClient func(t testing.TB) redis.UniversalClient
}

var backends = []backend{
	{"single", singleClient},
	{"cluster", clusterClient},
}

// singleClient returns a client of the shared standalone server
// (testserver.Redis), closed when t ends, or marks the service unavailable.
func singleClient(t testing.TB) redis.UniversalClient {
	t.Helper()
	addr := testserver.Redis(t)
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		conformance.Unavailable(t, "Redis at %s: %v", addr, err)
	}
	return c
}

// clusterClient returns a client of the shared Redis Cluster
// (testserver.RedisCluster), closed when t ends, or marks the service
// unavailable.
func clusterClient(t testing.TB) redis.UniversalClient {
	t.Helper()
	addrs := testserver.RedisCluster(t)
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := c.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		return m.Ping(ctx).Err()
	})
	if err == nil {
		var info string
		if info, err = c.ClusterInfo(ctx).Result(); err == nil && !strings.Contains(info, "cluster_state:ok") {
			err = fmt.Errorf("cluster_state is not ok")
		}
	}
	if err != nil {
		conformance.Unavailable(t, "Redis Cluster at %s: %v", addrs, err)
	}
	return c
}

// testPrefix returns a key prefix that no other test (or test run) uses.
func testPrefix() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "vishnu-test:" + hex.EncodeToString(b) + ":"
}

// fixture is a Store under test with the client and key prefix beneath it.
type fixture struct {
	*redisstore.Store
	c      redis.UniversalClient
	prefix string
}

// key returns the Redis key of the record with this id.
func (f *fixture) key(id string) string { return f.prefix + id }

// newStore returns a Store on c with a fresh key prefix, whose keys are
// deleted when t ends.
func newStore(t testing.TB, c redis.UniversalClient) *fixture {
	t.Helper()
	prefix := testPrefix()
	s, err := redisstore.New(c, redisstore.WithPrefix(prefix))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { deleteKeys(t, c, prefix) })
	return &fixture{s, c, prefix}
}

// deleteKeys deletes every key under prefix, on every master of a cluster.
// It never flushes: the servers may be shared.
func deleteKeys(t testing.TB, c redis.UniversalClient, prefix string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	clean := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			if err := c.Del(ctx, iter.Val()).Err(); err != nil {
				return err
			}
		}
		return iter.Err()
	}
	var err error
	switch c := c.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, clean)
	case *redis.Ring:
		err = c.ForEachShard(ctx, clean)
	case *redis.Client:
		err = clean(ctx, c)
	default:
		err = fmt.Errorf("unknown client type %T", c)
	}
	if err != nil {
		t.Logf("cleaning keys %s*: %v", prefix, err)
	}
}

// tripCounter is a go-redis hook that counts round trips: each command, and
// each pipeline or transaction as a whole.
type tripCounter struct{ n atomic.Int64 }

func (h *tripCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *tripCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

func (h *tripCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmds)
	}
}

// count returns the round trips made by f.
func (h *tripCounter) count(f func()) int64 {
	before := h.n.Load()
	f()
	return h.n.Load() - before
}

// startRedisServer starts redis-server of t's own on a free loopback port,
// with an append-only file synced on every write, so that its data survives
// a kill.
func startRedisServer(t testing.TB) *testserver.Server {
	t.Helper()
	return testserver.StartRedis(t, "--save", "", "--appendonly", "yes", "--appendfsync", "always")
}

// storeOnOwnServer returns a store on a redis-server of t's own, whose
// commands no other test's can add to, and its client; preload sends the
// store's scripts first.
func storeOnOwnServer(t testing.TB, preload bool) (*fixture, *redis.Client) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: startRedisServer(t).Addr})
	t.Cleanup(func() { _ = c.Close() })
	f := newStore(t, c)
	if preload {
		if err := f.Preload(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return f, c
}

func TestMain(m *testing.M) {
	// go-redis logs every failed dial; the tests fail dials on purpose.
	redis.SetLogger(quietLogger{})
	os.Exit(testserver.Run(m))
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}
