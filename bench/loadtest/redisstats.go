package loadtest

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// commandStats returns the number of calls of each command the Redis server
// has run since it started, from INFO commandstats. The counts are the
// server's, over every client and database: run one comparison at a time.
func commandStats(ctx context.Context, c *redis.Client) (map[string]int64, error) {
	info, err := c.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, fmt.Errorf("loadtest: INFO commandstats: %w", err)
	}
	stats := make(map[string]int64)
	for line := range strings.Lines(info) {
		// cmdstat_get:calls=12,usec=34,usec_per_call=2.83,...
		name, rest, found := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, "cmdstat_")), ":calls=")
		if !found || len(name) == len(line) {
			continue
		}
		calls, _, _ := strings.Cut(rest, ",")
		n, err := strconv.ParseInt(calls, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("loadtest: INFO commandstats: %q: %w", line, err)
		}
		stats[name] = n
	}
	return stats, nil
}

// commandsBetween returns the calls of each command between two snapshots,
// leaving out INFO, which is the generator's own.
func commandsBetween(before, after map[string]int64) map[string]int64 {
	d := make(map[string]int64)
	for name, n := range after {
		if name == "info" {
			continue
		}
		if n -= before[name]; n > 0 {
			d[name] = n
		}
	}
	return d
}
