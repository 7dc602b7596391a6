package redisstore

// commitScript applies a vishnu.Change to the hash KEYS[1] atomically. Save
// uses it too, as a change that may create and replaces everything.
//
//	ARGV[1]          "1" if the hash may be created (Change.Create)
//	ARGV[2]          "1" if every field is dropped first (Change.Replace)
//	ARGV[3]          the new expiry, Unix milliseconds (PEXPIREAT)
//	ARGV[4]          n, the number of fields to delete
//	ARGV[5 .. 4+n]   the names of the fields to delete
//	ARGV[5+n .. ]    name, value pairs of the fields to set
//
// It returns 0, having changed nothing, when the hash does not exist and may
// not be created: the session was destroyed or expired meanwhile. Otherwise
// it returns 1. An expiry in the past removes the hash, as PEXPIREAT does.
//
// Arguments are passed to HDEL and HSET in batches, because Lua's unpack
// fails beyond a few thousand values.
const commitScript = `
local key = KEYS[1]
local batch = 1000

local function each(cmd, first, last)
	for i = first, last, batch do
		redis.call(cmd, key, unpack(ARGV, i, math.min(i + batch - 1, last)))
	end
end

if redis.call('EXISTS', key) == 0 then
	if ARGV[1] ~= '1' then
		return 0
	end
elseif ARGV[2] == '1' then
	redis.call('DEL', key)
end

local ndel = tonumber(ARGV[4])
each('HDEL', 5, 4 + ndel)
each('HSET', 5 + ndel, #ARGV)
redis.call('PEXPIREAT', key, ARGV[3])
return 1
`
