package redisstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// The index of sessions per user (vishnu.UserIndex): one hash per user,
// under the key prefix+"user:"+user, whose fields are the user's session ids
// and whose values are the entry's expiry (8 bytes, Unix milliseconds, big
// endian) followed by its info. Every call touches that one key, so it works
// alike on a single server, a cluster and a ring; the hash itself expires
// with its last entry. Session ids (base64url) hold no ':', so the key never
// meets a session's.

var _ vishnu.UserIndex = (*Store)(nil)

// addUserScript sets one entry and pushes the hash's expiry back to the
// entry's if that is later: one round trip, atomic.
//
//	KEYS[1]  the user's hash
//	ARGV[1]  the session id
//	ARGV[2]  the value (expiry and info)
//	ARGV[3]  the entry's expiry, Unix milliseconds
const addUserScript = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local exp = tonumber(ARGV[3])
local ttl = redis.call('PTTL', KEYS[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ttl < 0 or now + ttl < exp then
	redis.call('PEXPIREAT', KEYS[1], exp)
end
return 1
`

var addUser = redis.NewScript(addUserScript)

func (s *Store) userKey(user string) string { return s.prefix + "user:" + user }

// AddUserSession implements vishnu.UserIndex with one script call.
func (s *Store) AddUserSession(ctx context.Context, user, id string, info []byte, expires time.Time) error {
	ms := unixMilli(expires)
	if !expires.After(time.Now()) {
		return s.RemoveUserSession(ctx, user, id)
	}
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(info)), uint64(ms))
	v = append(v, info...)
	if err := addUser.Run(ctx, s.client, []string{s.userKey(user)}, id, v, ms).Err(); err != nil {
		return fmt.Errorf("redisstore: add user session: %w", err)
	}
	return nil
}

// RemoveUserSession implements vishnu.UserIndex with one HDEL.
func (s *Store) RemoveUserSession(ctx context.Context, user, id string) error {
	if err := s.client.HDel(ctx, s.userKey(user), id).Err(); err != nil {
		return fmt.Errorf("redisstore: remove user session: %w", err)
	}
	return nil
}

// UserSessions implements vishnu.UserIndex with one HGETALL; entries found
// expired are dropped with one HDEL more.
func (s *Store) UserSessions(ctx context.Context, user string) (map[string][]byte, error) {
	all, err := s.client.HGetAll(ctx, s.userKey(user)).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("redisstore: user sessions: %w", err)
	}
	now := time.Now().UnixMilli()
	out := make(map[string][]byte, len(all))
	var expired []string
	for id, v := range all {
		if len(v) < 8 || int64(binary.BigEndian.Uint64([]byte(v[:8]))) <= now {
			expired = append(expired, id)
			continue
		}
		out[id] = []byte(v[8:])
	}
	if len(expired) > 0 {
		_ = s.client.HDel(ctx, s.userKey(user), expired...).Err() // best effort: filtered again next time
	}
	return out, nil
}
