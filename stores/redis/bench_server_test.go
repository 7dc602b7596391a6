package redisstore_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// BenchmarkServer runs each operation of the other benchmarks on a
// redis-server of its own and reports what Redis spends on it: the server
// process's CPU time (server-µs/op, from INFO cpu: the commands, parsing
// them and answering, the network calls) and the commands executed
// (cmds/op, from INFO commandstats: a script and every command it runs, or
// MULTI, EXEC and the commands between). Unlike the time per operation,
// these count neither the client nor the network's latency, and depend far
// less on what else the machine runs.
func BenchmarkServer(b *testing.B) {
	srv := startRedisServer(b)
	admin := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer admin.Close()
	// Without an fsync after each write, which would be most of the time.
	if err := admin.ConfigSet(context.Background(), "appendonly", "no").Err(); err != nil {
		b.Fatal(err)
	}
	cases := append([]benchCase{loadCase(), commitCase(), saveCase(), touchCase()}, commitSizeCases()...)
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			c := redis.NewClient(&redis.Options{Addr: srv.Addr})
			b.Cleanup(func() { _ = c.Close() })
			f := benchStore(b, c, bc)
			before := serverInfo(b, c)
			runCase(b, f, bc)
			after := serverInfo(b, c)
			n := float64(b.N)
			b.ReportMetric((after.cpu-before.cpu)*1e6/n, "server-µs/op")
			b.ReportMetric(float64(after.calls-before.calls)/n, "cmds/op")
		})
	}
}

// serverStats are a server's CPU time, in seconds, and the commands it has
// executed, INFO and HELLO (a connection's handshake) left out.
type serverStats struct {
	cpu   float64
	calls int64
}

func serverInfo(b *testing.B, c *redis.Client) serverStats {
	b.Helper()
	info, err := c.Info(context.Background(), "cpu", "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	var st serverStats
	for line := range strings.Lines(info) {
		line = strings.TrimSpace(line)
		name, v, _ := strings.Cut(line, ":")
		switch {
		case name == "used_cpu_sys" || name == "used_cpu_user":
			s, err := strconv.ParseFloat(v, 64)
			if err != nil {
				b.Fatalf("INFO cpu: %q: %v", line, err)
			}
			st.cpu += s
		case strings.HasPrefix(name, "cmdstat_") && name != "cmdstat_info" && name != "cmdstat_hello":
			// cmdstat_get:calls=12,usec=34,...
			calls, _, _ := strings.Cut(strings.TrimPrefix(v, "calls="), ",")
			n, err := strconv.ParseInt(calls, 10, 64)
			if err != nil {
				b.Fatalf("INFO commandstats: %q: %v", line, err)
			}
			st.calls += n
		}
	}
	return st
}
