package loadtest

import (
	"context"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
	"github.com/vishnu-go/vishnu/conformance"
	"github.com/vishnu-go/vishnu/internal/testserver"
)

// The harness is tested with short runs: every library's server on a
// loopback port with its sessions in the real Redis, driven by the
// generator, and the generator's accounting against a server that loses
// a known share of its writes. The long runs are ../load.sh's.

// testDB is the Redis database the tests use: not load.sh's, and never
// flushed, since other runs of this test may share it (sessions have
// random ids, and each library its own key prefix).
const testDB = 13

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(testserver.Run(m))
}

func testRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	addr := testserver.Redis(t)
	c := redis.NewClient(&redis.Options{Addr: addr, DB: testDB})
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		conformance.Unavailable(t, "Redis at %s: %v", addr, err)
	}
	return c, addr
}

// serve starts s on a loopback port and returns its address; it is closed
// when t ends, and must have stopped serving by then.
func serve(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return 10s after Close")
		}
	})
	return ln.Addr().String()
}

// TestLibraries runs both mixes, a few hundred requests each, on every
// library on Redis (those on PostgreSQL: TestPostgresLibraries). Each must
// answer every request with a 200 and count its writes; Vishnu's rows must
// keep every write on the hot session. The peers' lost updates vary from
// run to run and are logged.
func TestLibraries(t *testing.T) {
	client, addr := testRedis(t)
	for _, lib := range Libraries() {
		if onPostgres(lib) {
			continue
		}
		t.Run(lib, func(t *testing.T) {
			s, err := NewServer(lib, Config{RedisAddr: addr, RedisDB: testDB})
			if err != nil {
				t.Fatal(err)
			}
			srv := serve(t, s)
			for _, o := range []Options{
				{Mix: MixReadWrite, Sessions: 40, Conns: 4, Requests: 300},
				{Mix: MixHot, Conns: 4, Requests: 200},
			} {
				o.Addr, o.Duration, o.Redis, o.Monitor = srv, 20*time.Second, client, 100
				res, err := Run(t.Context(), o)
				if err != nil {
					t.Fatalf("%s: %v", o.Mix, err)
				}
				t.Logf("%s: %.0f req/s, p50 %.0f µs, p99 %.0f µs, %.2f Redis commands/request %v (sent %.2f, in scripts %.2f), lost %d of %d",
					o.Mix, res.RPS, res.P50us, res.P99us, res.RedisCommands, res.RedisByCommand, res.RedisSent, res.RedisInScripts, res.Lost, res.Writes)
				if res.Requests != o.Requests || res.Errors != 0 {
					t.Errorf("%s: %d requests answered, %d errors (%s); want %d and none", o.Mix, res.Requests, res.Errors, res.FirstError, o.Requests)
				}
				if o.Mix == MixHot && res.Writes != o.Requests+o.Monitor {
					t.Errorf("hot: %d writes answered 200, want %d", res.Writes, o.Requests+o.Monitor)
				}
				if o.Mix == MixReadWrite && (res.Writes == 0 || res.Writes >= o.Requests/3) {
					t.Errorf("rw: %d writes of %d requests, want about a tenth", res.Writes, o.Requests)
				}
				// Every request loads its session: Vishnu's Redis store keeps
				// it in a hash, the peers in a string.
				load := "get"
				if strings.HasPrefix(lib, "vishnu") {
					load = "hgetall"
				}
				if res.RedisByCommand[load] < 1 {
					t.Errorf("%s: %.2f %s per request, want at least 1 (every request loads its session)", o.Mix, res.RedisByCommand[load], strings.ToUpper(load))
				}
				if res.MonitorRequests != o.Monitor || res.RedisSent < 1 {
					t.Errorf("%s: MONITOR sample of %d requests, %.2f commands sent per request; want %d, at least 1 (a GET)", o.Mix, res.MonitorRequests, res.RedisSent, o.Monitor)
				}
				// Vishnu's Redis store commits with a script (HSET inside, and
				// PEXPIREAT when the expiry moves).
				if strings.HasPrefix(lib, "vishnu") && o.Mix == MixHot && res.RedisInScripts < 1 {
					t.Errorf("hot: %.2f commands per request in scripts, want at least 1", res.RedisInScripts)
				}
				if strings.HasPrefix(lib, "vishnu") && res.Lost != 0 {
					t.Errorf("%s: lost %d of %d writes, want none", o.Mix, res.Lost, res.Writes)
				}
			}
		})
	}
}

// lossySession keeps one session's values in memory and drops every other
// increment, so the generator must report exactly half of them lost.
type lossySession struct {
	mu     sync.Mutex
	values map[string]any
	sets   int
}

func (l *lossySession) getString(key string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, ok := l.values[key].(string)
	return v, ok
}

func (l *lossySession) getInt(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, _ := l.values[key].(int)
	return n
}

func (l *lossySession) set(key string, v any) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if key != userKey {
		if l.sets++; l.sets%2 == 0 {
			return nil
		}
	}
	l.values[key] = v
	return nil
}

func (l *lossySession) save() error { return nil }

func TestLostUpdatesCounted(t *testing.T) {
	s := &lossySession{values: make(map[string]any)}
	mux := netHTTPRoutes(func(*http.Request) session { return s })
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == PathLogin {
			w.Header().Set("Set-Cookie", "sid=1; Path=/")
		}
		mux.ServeHTTP(w, r)
	})
	addr := serve(t, netHTTPServer(h))
	res, err := Run(t.Context(), Options{Addr: addr, Mix: MixHot, Conns: 4, Requests: 200, Duration: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Writes != 200 || res.Counted != 100 || res.Lost != 100 {
		t.Errorf("writes %d, counted %d, lost %d; want 200, 100, 100", res.Writes, res.Counted, res.Lost)
	}
	if res.RedisCommands != 0 || res.RedisByCommand != nil {
		t.Errorf("Redis commands %v %v without Options.Redis, want none", res.RedisCommands, res.RedisByCommand)
	}
}

func TestOptionsBounded(t *testing.T) {
	for _, o := range []Options{
		{Addr: "127.0.0.1:1", Mix: MixHot, Requests: 10},
		{Addr: "127.0.0.1:1", Mix: MixHot, Duration: time.Second},
		{Addr: "127.0.0.1:1", Mix: "other", Requests: 10, Duration: time.Second},
	} {
		if _, err := Run(t.Context(), o); err == nil {
			t.Errorf("Run(%+v) = nil error, want one", o)
		}
	}
}
