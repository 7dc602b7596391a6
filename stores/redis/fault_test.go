package redisstore_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	vishnu "github.com/vishnu-go/vishnu/core"
	"github.com/vishnu-go/vishnu/internal/faultload"
	redisstore "github.com/vishnu-go/vishnu/stores/redis"
)

// TestServerFailure kills the Redis server under a running application and
// starts it again (faultload.Run says what is checked): the server persists
// every write, so the session is there as it was once Redis is back.
func TestServerFailure(t *testing.T) {
	srv := startRedisServer(t) // persists every write, so a kill loses nothing
	faultload.Run(t, faultload.Config{
		Backend:     "Redis",
		ErrorPrefix: "redisstore:",
		Connect: func(t testing.TB) (vishnu.Store, func() error) {
			client := redis.NewClient(&redis.Options{
				Addr:        srv.Addr,
				DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond,
				DialerRetries: 1, MaxRetries: 1, MinRetryBackoff: 10 * time.Millisecond, MaxRetryBackoff: 20 * time.Millisecond,
			})
			store, err := redisstore.New(client, redisstore.WithPrefix(testPrefix()))
			if err != nil {
				t.Fatal(err)
			}
			return store, client.Close
		},
		Kill:    srv.Kill,
		Restart: srv.Restart,
		Durable: true,
		Up:      60, Down: 70, After: 69,
		// After PoolSize failed dials, go-redis stops dialling and probes
		// the server once a second: allow it that long to notice.
		Recovery:      2500 * time.Millisecond,
		ClientTimeout: 5 * time.Second,
		OtherRequests: 2000,
	})
}
