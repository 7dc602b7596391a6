package redisstore_test

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// TestCommandsExecuted counts the commands Redis executes for each
// operation, as INFO commandstats counts them: a script call and every
// command the script runs. It runs on a server of its own, so that no other
// client's commands are counted.
func TestCommandsExecuted(t *testing.T) {
	f, c := storeOnOwnServer(t, true)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	for _, op := range []struct {
		name string
		do   func() error
		want map[string]int64
	}{
		{"Save", func() error {
			return f.Save(ctx, "s", record(map[string]string{"a": "1", "b": "2"}), exp)
		}, map[string]int64{"multi": 1, "del": 1, "hset": 1, "pexpireat": 1, "exec": 1}},
		{"Load", func() error {
			_, err := f.Load(ctx, "s")
			return err
		}, map[string]int64{"hgetall": 1}},
		{"Commit of one key", func() error {
			return f.Commit(ctx, "s", &vishnu.Change{Set: set("a", "10"), Expires: exp})
		}, map[string]int64{"evalsha": 1, "hset": 1, "pexpireat": 1}},
		{"Commit of one key, keeping the expiry", func() error {
			return f.Commit(ctx, "s", &vishnu.Change{Set: set("a", "11"), Expires: exp, SameExpiry: true})
		}, map[string]int64{"evalsha": 1, "hset": 1}},
		{"Commit setting and deleting", func() error {
			return f.Commit(ctx, "s", &vishnu.Change{Set: set("c", "3", "d", "4"), Delete: []string{"b"}, Expires: exp})
		}, map[string]int64{"evalsha": 1, "hset": 1, "pexpireat": 1}},
		{"Load after commits", func() error {
			_, err := f.Load(ctx, "s")
			return err
		}, map[string]int64{"hgetall": 1}},
		{"Commit to a destroyed session", func() error {
			if err := f.Commit(ctx, "gone", &vishnu.Change{Set: set("a", "1"), Expires: exp}); !errors.Is(err, vishnu.ErrNotFound) {
				return err
			}
			return nil
		}, map[string]int64{"evalsha": 1, "hset": 1, "hlen": 1, "del": 1}},
		{"Commit replacing", func() error {
			return f.Commit(ctx, "s", &vishnu.Change{Replace: true, Set: set("e", "5"), Expires: exp})
		}, map[string]int64{"evalsha": 1, "del": 1, "hset": 1, "pexpireat": 1}},
		{"Touch", func() error { return f.Touch(ctx, "s", exp.Add(time.Minute)) }, map[string]int64{"pexpireat": 1}},
		{"Delete", func() error { return f.Delete(ctx, "s") }, map[string]int64{"del": 1}},
	} {
		before := commandStats(t, c)
		if err := op.do(); err != nil {
			t.Fatalf("%s: %v", op.name, err)
		}
		if got := commandsSince(t, c, before); !maps.Equal(got, op.want) {
			t.Errorf("%s executed %v, want %v", op.name, got, op.want)
		}
	}
}

// commandStats returns the calls of each command the server has executed,
// from INFO commandstats.
func commandStats(t *testing.T, c *redis.Client) map[string]int64 {
	t.Helper()
	info, err := c.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	stats := make(map[string]int64)
	for line := range strings.Lines(info) {
		// cmdstat_get:calls=12,usec=34,...
		name, rest, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "cmdstat_"), ":calls=")
		if !ok {
			continue
		}
		calls, _, _ := strings.Cut(rest, ",")
		if stats[name], err = strconv.ParseInt(calls, 10, 64); err != nil {
			t.Fatalf("INFO commandstats: %q: %v", line, err)
		}
	}
	return stats
}

// commandsSince returns the commands executed since before, leaving out
// the INFO commands that took the counts and the HELLO of any connection
// the client opened meanwhile.
func commandsSince(t *testing.T, c *redis.Client, before map[string]int64) map[string]int64 {
	t.Helper()
	d := make(map[string]int64)
	for name, n := range commandStats(t, c) {
		if n -= before[name]; n > 0 && name != "info" && name != "hello" {
			d[name] = n
		}
	}
	return d
}
