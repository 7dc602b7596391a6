package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	vishnu "github.com/vishnu-go/vishnu/core"
)

var (
	_ vishnu.Store     = (*Store)(nil)
	_ vishnu.Committer = (*Store)(nil)
	_ vishnu.Toucher   = (*Store)(nil)
)

// Store keeps Vishnu sessions in Redis, one hash per session. It implements
// vishnu.Store, vishnu.Committer and vishnu.Toucher. It is safe for
// concurrent use.
type Store struct {
	client redis.UniversalClient
	prefix string
	commit *redis.Script
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
	o := options{prefix: DefaultKeyPrefix}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return &Store{client: client, prefix: o.prefix, commit: redis.NewScript(commitScript)}, nil
}

// key returns the Redis key of the session record with this id.
func (s *Store) key(id string) string { return s.prefix + id }

// Preload loads the commit script on every server the client talks to (each
// master of a cluster, each shard of a ring), so that the first Commit and
// Save on each is one round trip rather than two. It is optional: without
// it, the script is sent once per server on first use. Preload is also
// a cheap check that the servers can be reached.
func (s *Store) Preload(ctx context.Context) error {
	var err error
	if ring, ok := s.client.(*redis.Ring); ok {
		// A ring routes keyless commands to one shard only.
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

// Load implements vishnu.Store with one HGETALL. It returns vishnu.ErrNotFound
// when the session has no record (or has expired).
func (s *Store) Load(ctx context.Context, id string) ([]byte, error) {
	hash, err := s.client.HGetAll(ctx, s.key(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: load: %w", err)
	}
	if len(hash) == 0 {
		return nil, vishnu.ErrNotFound
	}
	fields := make(map[string][]byte, len(hash))
	for k, v := range hash {
		fields[k] = []byte(v)
	}
	return vishnu.EncodeRecord(fields), nil
}

// Save implements vishnu.Store: it replaces the whole record and its expiry
// atomically, in one round trip. data must be a record made by
// vishnu.EncodeRecord, which is all Vishnu saves. A record without fields is
// not kept (a Redis hash cannot be empty): saving one deletes the session,
// and Load then reports vishnu.ErrNotFound. Vishnu's records always hold at
// least the session's creation time.
func (s *Store) Save(ctx context.Context, id string, data []byte, expires time.Time) error {
	fields, err := vishnu.DecodeRecord(data)
	if err != nil {
		return fmt.Errorf("redisstore: save: %w", err)
	}
	args := make([]any, 4, 4+2*len(fields))
	args[0], args[1], args[2], args[3] = "1", "1", unixMilli(expires), 0
	for k, v := range fields {
		args = append(args, k, v)
	}
	if _, err := s.commit.Run(ctx, s.client, []string{s.key(id)}, args...).Result(); err != nil {
		return fmt.Errorf("redisstore: save: %w", err)
	}
	return nil
}

// Commit implements vishnu.Committer: the change is applied by one Lua script,
// atomically, in one round trip (two the first time the server sees the
// script; see Preload). It returns vishnu.ErrNotFound, having changed
// nothing, when the record does not exist and c.Create is false.
func (s *Store) Commit(ctx context.Context, id string, c *vishnu.Change) error {
	args := make([]any, 4, 4+len(c.Delete)+2*len(c.Set))
	args[0], args[1], args[2], args[3] = flag(c.Create), flag(c.Replace), unixMilli(c.Expires), len(c.Delete)
	for _, k := range c.Delete {
		args = append(args, k)
	}
	for _, f := range c.Set {
		args = append(args, f.Key, f.Value)
	}
	n, err := s.commit.Run(ctx, s.client, []string{s.key(id)}, args...).Int()
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

// unixMilli returns t in the form PEXPIREAT takes. Any time in the past
// expires a key at once, so the zero time (and earlier) need no special case.
func unixMilli(t time.Time) int64 { return t.UnixMilli() }
