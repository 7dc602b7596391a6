package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	vishnu "github.com/vishnu-go/vishnu/core"
)

var (
	_ vishnu.Store     = (*Store)(nil)
	_ vishnu.Committer = (*Store)(nil)
	_ vishnu.Toucher   = (*Store)(nil)
)

// Store keeps Vishnu sessions in Redis, one hash per session holding its
// record. It implements vishnu.Store, vishnu.Committer and vishnu.Toucher.
// It is safe for concurrent use.
type Store struct {
	client redis.UniversalClient
	prefix string
	commit *redis.Script
	spread bool // the keys may be on several nodes (see spreadKeys)
}

// New returns a Store that keeps sessions through client, which may be a
// *redis.Client (also from redis.NewFailoverClient, for Sentinel), a
// *redis.ClusterClient or a *redis.Ring. New makes no connection: a server
// that is down shows as errors from the store's methods, which Vishnu turns
// into its error response.
func New(client redis.UniversalClient, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisstore: nil client")
	}
	o := options{prefix: DefaultPrefix}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return &Store{client: client, prefix: o.prefix, commit: redis.NewScript(commitScript),
		spread: spreadKeys(client, o.prefix)}, nil
}

// key returns the Redis key of the session record with this id.
func (s *Store) key(id string) string { return s.prefix + id }

// Preload loads the commit script on every server the client talks to (each
// master of a cluster, each shard of a ring), so that the first Commit on
// each is one round trip rather than two. It is optional: without it, the
// script is sent once per server on first use. Preload is also a cheap
// check that the servers can be reached.
func (s *Store) Preload(ctx context.Context) error {
	var err error
	if ring, ok := s.client.(*redis.Ring); ok {
		// A ring sends a command without a key to one shard only.
		err = ring.ForEachShard(ctx, func(ctx context.Context, c *redis.Client) error {
			return s.commit.Load(ctx, c).Err()
		})
	} else {
		// A *redis.ClusterClient sends SCRIPT LOAD to every master itself.
		err = s.commit.Load(ctx, s.client).Err()
	}
	if err != nil {
		return fmt.Errorf("redisstore: load the commit script: %w", err)
	}
	return nil
}

// Load implements vishnu.Store with one HGETALL. It returns
// vishnu.ErrNotFound when the session has no record (or it has expired).
func (s *Store) Load(ctx context.Context, id string) ([]byte, error) {
	key := s.key(id)
	h, err := s.client.HGetAll(ctx, key).Result()
	if err != nil {
		if isWrongType(err) {
			return s.loadString(ctx, key)
		}
		return nil, fmt.Errorf("redisstore: load: %w", err)
	}
	if len(h) == 0 {
		return nil, vishnu.ErrNotFound
	}
	rec, err := decodeHash(h)
	if err != nil {
		return nil, fmt.Errorf("redisstore: load %s: %w", key, err)
	}
	return rec, nil
}

// loadString loads a record of the previous layout, a string, with one GET
// more. The first commit to it makes it a hash.
func (s *Store) loadString(ctx context.Context, key string) ([]byte, error) {
	b, err := s.client.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) { // gone between the two commands
		return nil, vishnu.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("redisstore: load: %w", err)
	}
	return b, nil
}

// isWrongType reports whether err is Redis's answer to a command on a key
// of another type.
func isWrongType(err error) bool {
	var rerr redis.Error
	return errors.As(err, &rerr) && strings.HasPrefix(rerr.Error(), "WRONGTYPE ")
}

// Save implements vishnu.Store with one transaction (MULTI, DEL, HSET,
// PEXPIREAT, EXEC, in one round trip): whatever was under the key is
// replaced by a hash holding data, whole, as its base, with its expiry, at
// once, so that a concurrent Load sees the old record or the new one, never
// none. (The commit script could do the same, at a fifth more of the
// server's time.)
func (s *Store) Save(ctx context.Context, id string, data []byte, expires time.Time) error {
	key := s.key(id)
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, key)
		p.HSet(ctx, key, saveFields(data)...)
		// Not PExpireAt, which overflows for times far in the past.
		return p.Process(ctx, redis.NewBoolCmd(ctx, "pexpireat", key, unixMilli(expires)))
	})
	if err != nil {
		return fmt.Errorf("redisstore: save: %w", err)
	}
	return nil
}

// Commit implements vishnu.Committer: the commit script writes the fields c
// sets and deletes into the session's hash, and its expiry, inside Redis,
// atomically, in one round trip (two the first time a server sees the
// script; see Preload). It returns vishnu.ErrNotFound, having changed
// nothing, when the record does not exist and c.Create is false.
func (s *Store) Commit(ctx context.Context, id string, c *vishnu.Change) error {
	n, err := s.commit.Run(ctx, s.client, []string{s.key(id)}, commitArgs(c)...).Int()
	if err != nil {
		return fmt.Errorf("redisstore: commit: %w", err)
	}
	if n == 0 {
		return vishnu.ErrNotFound
	}
	return nil
}

// Touch implements vishnu.Toucher with one PEXPIREAT: the record's expiry
// moves without its data being rewritten. It returns vishnu.ErrNotFound when
// there is no record. An expiry in the past removes the record.
func (s *Store) Touch(ctx context.Context, id string, expires time.Time) error {
	// Not client.PExpireAt, which overflows for times far in the past.
	cmd := redis.NewBoolCmd(ctx, "pexpireat", s.key(id), unixMilli(expires))
	_ = s.client.Process(ctx, cmd)
	ok, err := cmd.Result()
	if err != nil {
		return fmt.Errorf("redisstore: touch: %w", err)
	}
	if !ok {
		return vishnu.ErrNotFound
	}
	return nil
}

// Delete implements vishnu.Store with one DEL. Deleting a missing record is
// not an error.
func (s *Store) Delete(ctx context.Context, id string) error {
	if err := s.client.Del(ctx, s.key(id)).Err(); err != nil {
		return fmt.Errorf("redisstore: delete: %w", err)
	}
	return nil
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// unixMilli returns t as Unix milliseconds for PEXPIREAT. Times at or before
// 1970 become 1 ms past the epoch, which, like any time in the past,
// expires the record at once.
func unixMilli(t time.Time) int64 { return max(1, t.UnixMilli()) }
