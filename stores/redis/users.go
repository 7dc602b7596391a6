package redisstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	vishnu "github.com/vishnu-go/vishnu/core"
)

// The index of sessions per user (vishnu.UserIndex): one hash per user,
// under the key prefix+"user:"+user, whose fields are the user's session ids
// and whose values are the entry's expiry (8 bytes, Unix milliseconds, big
// endian) followed by its info. Adding and removing touch that one key, so
// they work alike on a single server, a cluster and a ring; listing also
// checks the entries' records (see UserSessions). The hash itself expires
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

// listUserScript lists a user's entries and drops the dead ones, in one
// atomic step: those past their own expiry and, when ARGV[1] is
// given, those whose session has no record (it ended or expired: a login
// writes the record before listing it, and no id comes back once its
// record is gone).
//
//	KEYS[1]  the user's hash
//	ARGV[1]  the key prefix of session records, or '' to leave records
//	         unchecked (a script may touch no key outside its key's slot)
//
// It returns the live entries as id, value pairs.
const listUserScript = `
local prefix = ARGV[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local all = redis.call('HGETALL', KEYS[1])
local live, dead = {}, {}
for i = 1, #all, 2 do
	local id, v = all[i], all[i + 1]
	local exp = 0
	if #v >= 8 then
		local b1, b2, b3, b4, b5, b6, b7, b8 = string.byte(v, 1, 8)
		exp = ((((((b1 * 256 + b2) * 256 + b3) * 256 + b4) * 256 + b5) * 256 + b6) * 256 + b7) * 256 + b8
	end
	if exp <= now or (prefix ~= '' and redis.call('EXISTS', prefix .. id) == 0) then
		dead[#dead + 1] = id
	else
		live[#live + 1] = id
		live[#live + 1] = v
	end
end
for i = 1, #dead, 4000 do
	redis.call('HDEL', KEYS[1], unpack(dead, i, math.min(i + 3999, #dead)))
end
return live
`

var listUser = redis.NewScript(listUserScript)

// UserSessions implements vishnu.UserIndex. Entries of sessions that ended
// or expired are dropped from the index as they are found, so that a user
// who logs in often, and never logs out, does not grow it for ever.
//
// Where one script can reach every key of the store (one server, or a
// prefix with a hash tag that puts every key in one slot), it is one
// script call: the listing, the check of each entry's record and the
// removal of the dead entries, at once. On a cluster or ring whose keys
// are spread, records live on other nodes than the user's hash: the script
// drops the entries past their own expiry, one pipeline of EXISTS checks
// the records of the others, node by node at once, and one HDEL drops
// those without one, three round trips.
func (s *Store) UserSessions(ctx context.Context, user string) (map[string][]byte, error) {
	key := s.userKey(user)
	prefix := s.prefix
	if s.spread {
		prefix = ""
	}
	res, err := listUser.Run(ctx, s.client, []string{key}, prefix).Slice()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("redisstore: user sessions: %w", err)
	}
	out := make(map[string][]byte, len(res)/2)
	for i := 0; i+1 < len(res); i += 2 {
		id, _ := res[i].(string)
		v, _ := res[i+1].(string)
		out[id] = []byte(v[8:])
	}
	if !s.spread || len(out) == 0 {
		return out, nil
	}
	return s.dropRecordless(ctx, key, out)
}

// spreadKeys reports whether keys under prefix may be on several nodes of
// client: a cluster or a ring, with a prefix that does not tag every key
// alike.
func spreadKeys(client redis.UniversalClient, prefix string) bool {
	switch client.(type) {
	case *redis.ClusterClient, *redis.Ring:
	default:
		return false
	}
	open := strings.IndexByte(prefix, '{')
	return open < 0 || strings.IndexByte(prefix[open+1:], '}') < 1
}

// dropRecordless removes from out, and from the user's hash, the entries
// whose session has no record, checked with one pipeline of EXISTS. The
// listing is right without the HDEL: it is best effort.
func (s *Store) dropRecordless(ctx context.Context, key string, out map[string][]byte) (map[string][]byte, error) {
	ids := make([]string, 0, len(out))
	exists := make([]*redis.IntCmd, 0, len(out))
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for id := range out {
			ids = append(ids, id)
			exists = append(exists, p.Exists(ctx, s.key(id)))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("redisstore: user sessions: check records: %w", err)
	}
	var dead []string
	for i, id := range ids {
		if exists[i].Val() == 0 {
			dead = append(dead, id)
			delete(out, id)
		}
	}
	if len(dead) > 0 {
		_ = s.client.HDel(ctx, key, dead...).Err() // best effort: checked again next time
	}
	return out, nil
}
