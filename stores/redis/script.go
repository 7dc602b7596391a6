package redisstore

// commitScript commits a vishnu.Change to the session hash under KEYS[1]
// atomically. It writes only the fields given, never reading the record
// back, so a commit costs what it changes, whatever the size of the session.
//
//	ARGV[1]    "1" if the record may be created (Change.Create)
//	ARGV[2]    "1" if whatever is there goes first (Change.Replace)
//	ARGV[3]    "1" if the expiry stays as it is (Change.SameExpiry)
//	ARGV[4]    the new expiry, Unix milliseconds, at least 1 (PEXPIREAT)
//	ARGV[5 ..] name, value pairs of hash fields, each name once, fieldLive's
//	           first (see commitArgs)
//
// It returns 0, having changed nothing, when there is no record and it may
// not be created: the session was destroyed or expired meanwhile. Otherwise
// it writes the fields, sets the expiry and returns 1. An expiry in the past
// removes the record, as PEXPIREAT does. When the expiry stays as it is,
// PEXPIREAT is left out, unless the key was made anew (created, replaced,
// or turned from a string into a hash), which leaves it without one.
// Without Replace, a hash holding bytes that are not a record (or any hash
// this store did not write) is left as it was and the script fails, as
// Change.Apply does.
//
// Without Replace, the existence check costs no command of its own: every
// record's hash holds fieldLive, so fieldLive is new, and with it every
// field written, only when there was no record. A change that may not
// create it then deletes what it wrote, in the same atomic step, so no
// client ever sees it (keyspace notifications, when enabled, do report both
// writes). The one command beyond the HSET, when the expiry moves, is
// PEXPIREAT: Redis 7.0 has no command that writes hash fields and moves the
// key's expiry at once. With Replace, DEL says whether there was a record.
//
// A string under the key is a record of the previous layout, written whole
// (see the package doc): the first commit to it makes it the base of a hash.
const commitScript = `
local key, last, fresh = KEYS[1], #ARGV, false

-- hset writes the pairs of ARGV from ARGV[from] on, a few thousand values
-- per HSET (as many as Lua's unpack takes), and returns how many of the
-- fields are new, or the error of the first HSET.
local function hset(from)
	local added, call = 0, redis.pcall
	for i = from, last, 4000 do
		local n = call('HSET', key, unpack(ARGV, i, math.min(i + 3999, last)))
		if type(n) == 'table' then
			return n
		end
		added, call = added + n, redis.call
	end
	return added
end

if ARGV[2] == '1' then
	if redis.call('DEL', key) == 0 and ARGV[1] ~= '1' then
		return 0
	end
	local added = hset(5)
	if type(added) == 'table' then
		return added
	end
	fresh = true
else
	local added = hset(5)
	if type(added) == 'table' then
		if not string.find(added.err, 'WRONGTYPE', 1, true) then
			return added
		end
		-- A key of any type but a string fails here, as it must.
		local cur = redis.call('GET', key)
		redis.call('DEL', key)
		redis.call('HSET', key, '` + fieldLive + `', '', '` + fieldBase + `', cur)
		added, fresh = hset(5), true
	end
	if added == (last - 4) / 2 then
		-- fieldLive was new. If the hash holds more than the fields just
		-- written, it held bytes that are not a record: undo, and fail.
		if redis.call('HLEN', key) > added then
			local names = {}
			for i = 5, last, 2 do
				names[#names + 1] = ARGV[i]
			end
			for i = 1, #names, 4000 do
				redis.call('HDEL', key, unpack(names, i, math.min(i + 3999, #names)))
			end
			return redis.error_reply('redisstore: the value under ' .. key .. ' is not a session record')
		end
		if ARGV[1] ~= '1' then
			redis.call('DEL', key)
			return 0
		end
		fresh = true
	end
end
if fresh or ARGV[3] ~= '1' then
	redis.call('PEXPIREAT', key, ARGV[4])
end
return 1
`
