package testserver

import (
	"os"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Run(m)) }

func TestRedisShared(t *testing.T) {
	t.Setenv(RedisAddrEnv, "")
	a, b := Redis(t), Redis(t)
	if a != b {
		t.Fatalf("two calls started two servers: %s and %s", a, b)
	}
	if reply, err := redisCommand(a, "PING"); err != nil || reply != "PONG" {
		t.Fatalf("PING %s: %q, %v", a, reply, err)
	}
}

func TestRedisGiven(t *testing.T) {
	t.Setenv(RedisAddrEnv, "192.0.2.1:1")
	if got := Redis(t); got != "192.0.2.1:1" {
		t.Fatalf("Redis with %s set = %s, want it as given", RedisAddrEnv, got)
	}
}

func TestRedisCluster(t *testing.T) {
	t.Setenv(RedisClusterAddrsEnv, "")
	addrs := RedisCluster(t)
	if len(addrs) != 3 {
		t.Fatalf("%d masters, want 3", len(addrs))
	}
	for _, a := range addrs {
		info, err := redisCommand(a, "CLUSTER", "INFO")
		if err != nil || !strings.Contains(info, "cluster_state:ok\r\n") {
			t.Fatalf("CLUSTER INFO of %s: %v\n%s", a, err, info)
		}
	}
}

func TestStartRedisKillRestart(t *testing.T) {
	s := StartRedis(t, "--appendonly", "yes", "--appendfsync", "always")
	if _, err := redisCommand(s.Addr, "SET", "k", "v"); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	if _, err := redisCommand(s.Addr, "PING"); err == nil {
		t.Fatal("a killed server still answers")
	}
	s.Restart(t)
	if v, err := redisCommand(s.Addr, "GET", "k"); err != nil || v != "v" {
		t.Fatalf("GET k after the restart: %q, %v; want the appended v", v, err)
	}
}

func TestSentinel(t *testing.T) {
	master := StartRedis(t)
	s := StartSentinel(t, "m", master.Addr)
	reply, err := redisCommand(s.Addr, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "m")
	// An array reply, which redisCommand does not read: its type marks it.
	if err == nil || !strings.Contains(err.Error(), `"*2"`) {
		t.Fatalf("SENTINEL GET-MASTER-ADDR-BY-NAME: %q, %v; want a two-element array", reply, err)
	}
}

func TestMemcached(t *testing.T) {
	t.Setenv(MemcachedAddrsEnv, "")
	addrs := Memcached(t)
	if len(addrs) != 3 {
		t.Fatalf("%d nodes, want 3", len(addrs))
	}
	for _, a := range addrs {
		if err := memcachedVersion(a); err != nil {
			t.Fatal(err)
		}
	}
	n := StartMemcached(t)
	n.Kill()
	if memcachedVersion(n.Addr) == nil {
		t.Fatal("a killed node still answers")
	}
	n.Restart(t)
	if err := memcachedVersion(n.Addr); err != nil {
		t.Fatal(err)
	}
}

func TestMemcachedGiven(t *testing.T) {
	t.Setenv(MemcachedAddrsEnv, "192.0.2.1:1, 192.0.2.2:2")
	if got := strings.Join(Memcached(t), ","); got != "192.0.2.1:1,192.0.2.2:2" {
		t.Fatalf("Memcached = %s, want the given nodes", got)
	}
}

func TestDatastore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a JVM")
	}
	t.Setenv(DatastoreEmulatorHostEnv, "")
	if err := emulatorReady(Datastore(t)); err != nil {
		t.Fatal(err)
	}
}
