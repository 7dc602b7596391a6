package redisstore

// commitScript applies a vishnu.Change to the record under KEYS[1]
// atomically: it is vishnu's Change.Apply, run inside Redis, so that the
// read, the merge and the write are one round trip that no other client can
// come between.
//
//	ARGV[1]          "1" if the record may be created (Change.Create)
//	ARGV[2]          "1" if every field is dropped first (Change.Replace)
//	ARGV[3]          the new expiry, Unix milliseconds, at least 1 (SET PXAT)
//	ARGV[4]          n, the number of fields to delete
//	ARGV[5 .. 4+n]   the names of the fields to delete
//	ARGV[5+n .. ]    name, value pairs of the fields to set
//
// It returns 0, having changed nothing, when there is no record and it may
// not be created: the session was destroyed or expired meanwhile. Otherwise
// it writes the merged record with its new expiry and returns 1. An expiry in
// the past removes the record, as SET PXAT does.
//
// The record format is vishnu's (see vishnu.EncodeRecord): a version byte (1),
// the number of fields, then each field's name and value, each preceded by
// its length, all numbers unsigned varints. Fields keep their order; new ones
// go last. A stored value that is not such a record is an error, unless the
// change replaces it, as with Change.Apply.
const commitScript = `
local key = KEYS[1]
local cur = redis.call('GET', key)
if not cur and ARGV[1] ~= '1' then
	return 0
end

local names, values, known = {}, {}, {}
local function put(k, v)
	if not known[k] then
		known[k] = true
		names[#names + 1] = k
	end
	values[k] = v
end

if cur and ARGV[2] ~= '1' then
	local pos, len = 1, #cur
	local function bad()
		return redis.error_reply('redisstore: the value under ' .. key .. ' is not a session record')
	end
	-- As Go's binary.Uvarint: at most 10 bytes. Beyond 2^53 the sum is
	-- inexact, but then it exceeds every length it is checked against.
	local function uvarint()
		local n, mul = 0, 1
		for _ = 1, 10 do
			if pos > len then
				return nil
			end
			local b = string.byte(cur, pos)
			pos = pos + 1
			if b < 128 then
				return n + b * mul
			end
			n = n + (b - 128) * mul
			mul = mul * 128
		end
		return nil
	end
	local function bytes()
		local n = uvarint()
		if not n or n > len - pos + 1 then
			return nil
		end
		local s = string.sub(cur, pos, pos + n - 1)
		pos = pos + n
		return s
	end
	if len == 0 or string.byte(cur, 1) ~= 1 then
		return bad()
	end
	pos = 2
	local count = uvarint()
	-- Each field takes at least two bytes.
	if not count or count > math.floor((len - pos + 1) / 2) then
		return bad()
	end
	for _ = 1, count do
		local k = bytes()
		local v = k and bytes()
		if not v then
			return bad()
		end
		put(k, v)
	end
	if pos ~= len + 1 then
		return bad()
	end
end

local ndel = tonumber(ARGV[4])
for i = 5, 4 + ndel do
	values[ARGV[i]] = nil
end
for i = 5 + ndel, #ARGV, 2 do
	put(ARGV[i], ARGV[i + 1])
end

local function uvarint(n)
	local s = ''
	while n >= 128 do
		s = s .. string.char(n % 128 + 128)
		n = math.floor(n / 128)
	end
	return s .. string.char(n)
end
local out, count = {}, 0
for _, k in ipairs(names) do
	local v = values[k]
	if v then
		count = count + 1
		out[#out + 1] = uvarint(#k) .. k .. uvarint(#v) .. v
	end
end
redis.call('SET', key, string.char(1) .. uvarint(count) .. table.concat(out), 'PXAT', ARGV[3])
return 1
`
