package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/vishnu-go/vishnu/conformance"
	redisstore "github.com/vishnu-go/vishnu/stores/redis"
)

// The servers the tests use come from the environment, as the repository's
// test command sets it.
const (
	envAddr         = "VISHNU_REDIS_ADDR"          // default 127.0.0.1:6379
	envClusterAddrs = "VISHNU_REDIS_CLUSTER_ADDRS" // comma-separated masters
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

// singleClient returns a client of the standalone server, closed when t ends,
// or marks the service unavailable.
func singleClient(t testing.TB) redis.UniversalClient {
	t.Helper()
	addr := os.Getenv(envAddr)
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		conformance.Unavailable(t, "Redis at %s (%s): %v", addr, envAddr, err)
	}
	return c
}

// clusterClient returns a client of the Redis Cluster, closed when t ends,
// or marks the service unavailable.
func clusterClient(t testing.TB) redis.UniversalClient {
	t.Helper()
	addrs := os.Getenv(envClusterAddrs)
	if addrs == "" {
		conformance.Unavailable(t, "Redis Cluster: %s is not set", envClusterAddrs)
	}
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(addrs, ",")})
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
		conformance.Unavailable(t, "Redis Cluster at %s (%s): %v", addrs, envClusterAddrs, err)
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

// redisServer is a redis-server process that a test starts on its own port.
type redisServer struct {
	t    testing.TB
	bin  string
	dir  string
	port int
	args []string // before the common ones
	cmd  *exec.Cmd
}

// startRedisServer starts redis-server on a free loopback port, with an
// append-only file synced on every write, so that its data survives a kill.
func startRedisServer(t testing.TB) *redisServer {
	t.Helper()
	s := newRedisServer(t)
	s.args = []string{"--save", "", "--appendonly", "yes", "--appendfsync", "always"}
	s.start()
	return s
}

// startSentinel starts a Redis Sentinel on a free loopback port, watching
// the master at masterAddr under the name "vishnu".
func startSentinel(t testing.TB, masterAddr string) *redisServer {
	t.Helper()
	s := newRedisServer(t)
	host, port, _ := net.SplitHostPort(masterAddr)
	conf := filepath.Join(s.dir, "sentinel.conf") // Sentinel rewrites it
	if err := os.WriteFile(conf, []byte("sentinel monitor vishnu "+host+" "+port+" 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.args = []string{conf, "--sentinel"}
	s.start()
	return s
}

// newRedisServer prepares a server on a free loopback port, to be stopped
// when t ends.
func newRedisServer(t testing.TB) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		conformance.Unavailable(t, "redis-server is not on PATH: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	s := &redisServer{t: t, bin: bin, dir: t.TempDir(), port: port}
	t.Cleanup(s.stop)
	return s
}

func (s *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// start runs the server and waits until it answers PING.
func (s *redisServer) start() {
	s.t.Helper()
	args := append(s.args[:len(s.args):len(s.args)],
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--logfile", filepath.Join(s.dir, "redis.log"))
	s.cmd = exec.Command(s.bin, args...)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: s.addr(), MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			s.t.Fatalf("redis-server on port %d did not answer: %v\n%s", s.port, err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills the server (SIGKILL: no chance to say goodbye to clients) and
// waits for it to exit. Stopping a stopped server does nothing.
func (s *redisServer) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

func TestMain(m *testing.M) {
	// go-redis logs every failed dial; the tests fail dials on purpose.
	redis.SetLogger(quietLogger{})
	os.Exit(m.Run())
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}
