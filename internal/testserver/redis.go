package testserver

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The variables that name Redis servers the caller runs; when one is set,
// nothing is started for it.
const (
	RedisAddrEnv         = "VISHNU_REDIS_ADDR"          // host:port of a standalone server
	RedisClusterAddrsEnv = "VISHNU_REDIS_CLUSTER_ADDRS" // comma-separated masters of a cluster
)

// Redis returns the address of a standalone Redis server shared by the
// tests of this binary: VISHNU_REDIS_ADDR when it is set, else a
// redis-server started on first use (without persistence) and stopped by
// Run. Without redis-server the test is unavailable (conformance.Unavailable).
func Redis(t testing.TB) string {
	t.Helper()
	return addrFor(t, RedisAddrEnv, sharedRedis)
}

var sharedRedis = sharedServer("redis", func(dir string) (program, error) {
	return redisProgram(dir, "--save", "", "--appendonly", "no")
})

// RedisCluster returns the addresses of the three masters of a Redis
// Cluster (no replicas, every slot assigned) shared by the tests of this
// binary: VISHNU_REDIS_CLUSTER_ADDRS when it is set, else one started on
// first use and stopped by Run.
func RedisCluster(t testing.TB) []string {
	t.Helper()
	if addrs := os.Getenv(RedisClusterAddrsEnv); addrs != "" {
		return strings.Split(addrs, ",")
	}
	addrs, err := sharedCluster()
	if err != nil {
		require(t, err)
	}
	return addrs
}

var sharedCluster = sync.OnceValues(func() ([]string, error) {
	dir, err := tempDir("vishnu-redis-cluster-*", nil)
	if err != nil {
		return nil, err
	}
	keep(dir)
	var nodes []*Server
	for i := range 3 {
		node := filepath.Join(dir, strconv.Itoa(i))
		if err := os.Mkdir(node, 0o700); err != nil {
			return nil, fmt.Errorf("testserver: %w", err)
		}
		p, err := redisProgram(node, "--save", "", "--appendonly", "no",
			"--cluster-enabled", "yes", "--cluster-node-timeout", "5000")
		if err != nil {
			return nil, err
		}
		// The cluster bus listens on the port + 10000.
		p.bus = func(port int) (int, bool) { return port + 10000, port+10000 <= 65535 }
		s, err := startProgram(p)
		if err != nil {
			return nil, err
		}
		keep("", s)
		nodes = append(nodes, s)
	}
	if err := formCluster(nodes); err != nil {
		return nil, err
	}
	addrs := make([]string, len(nodes))
	for i, n := range nodes {
		addrs[i] = n.Addr
	}
	return addrs, nil
})

// formCluster shares the 16384 slots among the nodes, introduces them to
// each other and waits until every node sees a healthy cluster of them all,
// as redis-cli --cluster create does.
func formCluster(nodes []*Server) error {
	const slots = 16384
	for i, n := range nodes {
		args := []string{"CLUSTER", "ADDSLOTS"}
		for slot := i * slots / len(nodes); slot < (i+1)*slots/len(nodes); slot++ {
			args = append(args, strconv.Itoa(slot))
		}
		if _, err := redisCommand(n.Addr, args...); err != nil {
			return fmt.Errorf("testserver: Redis Cluster: %w", err)
		}
		// Distinct epochs, so that the nodes need not settle a collision.
		if _, err := redisCommand(n.Addr, "CLUSTER", "SET-CONFIG-EPOCH", strconv.Itoa(i+1)); err != nil {
			return fmt.Errorf("testserver: Redis Cluster: %w", err)
		}
	}
	for _, n := range nodes[1:] {
		if _, err := redisCommand(nodes[0].Addr, "CLUSTER", "MEET", "127.0.0.1", n.port); err != nil {
			return fmt.Errorf("testserver: Redis Cluster: %w", err)
		}
	}
	want := []string{"cluster_state:ok", "cluster_slots_ok:16384", "cluster_known_nodes:" + strconv.Itoa(len(nodes))}
	deadline := time.Now().Add(60 * time.Second)
	for _, n := range nodes {
		for {
			info, err := redisCommand(n.Addr, "CLUSTER", "INFO")
			if err == nil {
				for _, w := range want {
					if !strings.Contains(info, w+"\r\n") {
						err = fmt.Errorf("CLUSTER INFO of %s has no %s:\n%s", n.Addr, w, info)
						break
					}
				}
			}
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("testserver: Redis Cluster not ready within 60s: %w", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

// StartRedis starts a redis-server of t's own on a free loopback port, in a
// folder of its own (its --dir), stopped when t ends: for tests that kill or
// restart a server. args come before the port and folder settings, e.g.
// "--appendonly", "yes".
func StartRedis(t testing.TB, args ...string) *Server {
	t.Helper()
	p, err := redisProgram(t.TempDir(), args...)
	if err != nil {
		require(t, err)
	}
	return startTest(t, p)
}

// StartSentinel starts a Redis Sentinel of t's own on a free loopback port,
// watching the master at masterAddr under the name master (quorum 1),
// stopped when t ends.
func StartSentinel(t testing.TB, master, masterAddr string) *Server {
	t.Helper()
	dir := t.TempDir()
	host, port, err := net.SplitHostPort(masterAddr)
	if err != nil {
		t.Fatalf("testserver: Sentinel: %v", err)
	}
	conf := filepath.Join(dir, "sentinel.conf") // Sentinel rewrites it
	if err := os.WriteFile(conf, []byte("sentinel monitor "+master+" "+host+" "+port+" 1\n"), 0o600); err != nil {
		t.Fatalf("testserver: Sentinel: %v", err)
	}
	p, err := redisProgram(dir, conf, "--sentinel")
	if err != nil {
		require(t, err)
	}
	p.name = "redis-server --sentinel"
	return startTest(t, p)
}

// redisProgram runs redis-server in dir, on loopback only, with args first.
func redisProgram(dir string, args ...string) (program, error) {
	path, err := lookPath("redis-server", "redis-server")
	if err != nil {
		return program{}, err
	}
	return program{
		name: "redis-server",
		path: path,
		dir:  dir,
		args: func(port string) []string {
			return append(args[:len(args):len(args)], "--port", port, "--bind", "127.0.0.1", "--dir", dir)
		},
		ready: func(addr string) error {
			reply, err := redisCommand(addr, "PING")
			if err == nil && reply != "PONG" {
				err = fmt.Errorf("PING answered %q", reply)
			}
			return err
		},
		wait: 15 * time.Second,
	}, nil
}

// redisCommand sends one command to the Redis server at addr and returns
// its reply: the text of a simple string, integer or bulk string, or an
// error reply as an error. The servers here need only these few commands,
// and a Redis client module would enter the graph of every module whose
// tests use this package.
func redisCommand(addr string, args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return "", err
	}
	var req strings.Builder
	fmt.Fprintf(&req, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&req, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(c, req.String()); err != nil {
		return "", err
	}
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", errors.New("empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", fmt.Errorf("%s: %s", args[0], line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", fmt.Errorf("%s: reply %q", args[0], line)
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	return "", fmt.Errorf("%s: unexpected reply %q", args[0], line)
}
