package loadtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

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

// A monitor counts, through Redis's MONITOR, the commands run on one
// database: those sent by clients (round trips, or commands of a pipeline),
// and those run inside scripts, which INFO commandstats counts alike.
// MONITOR slows Redis down, so it runs over a separate sample of requests
// after the measured phase, never during it.
type monitor struct {
	nc        net.Conn
	db        string
	done      chan struct{}
	sent, lua atomic.Int64
	err       error
}

func startMonitor(addr string, db int) (*monitor, error) {
	nc, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		return nil, fmt.Errorf("loadtest: MONITOR: %w", err)
	}
	br := bufio.NewReader(nc)
	nc.SetDeadline(time.Now().Add(ioTimeout))
	if _, err := nc.Write([]byte("MONITOR\r\n")); err != nil {
		nc.Close()
		return nil, fmt.Errorf("loadtest: MONITOR: %w", err)
	}
	if ok, err := br.ReadString('\n'); err != nil || ok != "+OK\r\n" {
		nc.Close()
		return nil, fmt.Errorf("loadtest: MONITOR: reply %q, %v", ok, err)
	}
	nc.SetDeadline(time.Time{})
	m := &monitor{nc: nc, db: strconv.Itoa(db), done: make(chan struct{})}
	go m.read(br)
	return m, nil
}

// read counts the lines until the connection is closed. Each is
// "+<time> [<db> <client address, or lua>] "<command>" ...".
func (m *monitor) read(br *bufio.Reader) {
	defer close(m.done)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			if !errors.Is(err, net.ErrClosed) && !errors.Is(err, io.EOF) {
				m.err = err
			}
			return
		}
		_, src, found := strings.Cut(line, " [")
		if !found {
			continue
		}
		db, client, _ := strings.Cut(src, " ")
		if db != m.db {
			continue
		}
		if strings.HasPrefix(client, "lua]") {
			m.lua.Add(1)
		} else {
			m.sent.Add(1)
		}
	}
}

// stop waits for the lines of commands already run to arrive (until none
// has come for 50 ms, for at most a second), closes the connection, and
// returns the counts.
func (m *monitor) stop() (sent, lua int64, err error) {
	for prev, i := int64(-1), 0; i < 20; i++ {
		time.Sleep(50 * time.Millisecond)
		n := m.sent.Load() + m.lua.Load()
		if n == prev {
			break
		}
		prev = n
	}
	m.nc.Close()
	<-m.done
	return m.sent.Load(), m.lua.Load(), m.err
}
