package redisstore

// commitScript applies a vishnu.Change to the record under KEYS[1]
// atomically: it is vishnu's Change.Apply, run inside Redis, so that reading,
// merging and writing the record are one round trip that no other client can
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
// its length, all numbers unsigned varints. The script walks the record once,
// checking it as vishnu.DecodeRecord does, and copies the fields that stay
// byte for byte, in their order; the fields set follow. A stored value that
// is not a record is an error, unless the change replaces it, as with
// Change.Apply.
const commitScript = `
local key = KEYS[1]
local cur = redis.call('GET', key)
if not cur and ARGV[1] ~= '1' then
	return 0
end

local byte, sub = string.byte, string.sub
local first = 5 + tonumber(ARGV[4])
-- drop: the names whose current fields go, deleted or set anew.
-- last: where each name to set appears last, so that it is written once.
local drop, last = {}, {}
for i = 5, first - 1 do
	drop[ARGV[i]] = true
end
for i = first, #ARGV, 2 do
	drop[ARGV[i]] = true
	last[ARGV[i]] = i
end

local out, count = {}, 0
if cur and ARGV[2] ~= '1' then
	local len, pos = #cur, 2
	-- As Go's binary.Uvarint: at most 10 bytes. Beyond 2^53 the sum is
	-- inexact, but then it exceeds every length it is checked against.
	local function uvarint()
		local n, mul = 0, 1
		for _ = 1, 10 do
			local b = byte(cur, pos)
			if not b then
				return nil
			end
			pos = pos + 1
			if b < 128 then
				return n + b * mul
			end
			n = n + (b - 128) * mul
			mul = mul * 128
		end
		return nil
	end
	local function bad()
		return redis.error_reply('redisstore: the value under ' .. key .. ' is not a session record')
	end
	if byte(cur, 1) ~= 1 then
		return bad()
	end
	local n = uvarint()
	-- Each field takes at least two bytes.
	if not n or n > math.floor((len - pos + 1) / 2) then
		return bad()
	end
	-- Fields that stay are copied as they are, a run of them at a time.
	local run = pos
	for _ = 1, n do
		local start = pos
		local kl = byte(cur, pos)
		if kl and kl < 128 then -- the usual one-byte length, without a call
			pos = pos + 1
		else
			kl = uvarint()
		end
		if not kl or kl > len - pos + 1 then
			return bad()
		end
		local k = sub(cur, pos, pos + kl - 1)
		pos = pos + kl
		local vl = byte(cur, pos)
		if vl and vl < 128 then
			pos = pos + 1
		else
			vl = uvarint()
		end
		if not vl or vl > len - pos + 1 then
			return bad()
		end
		pos = pos + vl
		if drop[k] then
			if start > run then
				out[#out + 1] = sub(cur, run, start - 1)
			end
			run = pos
		else
			count = count + 1
		end
	end
	if pos ~= len + 1 then
		return bad()
	end
	if pos > run then
		out[#out + 1] = sub(cur, run, pos - 1)
	end
end

local function varint(n)
	local s = ''
	while n >= 128 do
		s = s .. string.char(n % 128 + 128)
		n = math.floor(n / 128)
	end
	return s .. string.char(n)
end
for i = first, #ARGV, 2 do
	local k = ARGV[i]
	if last[k] == i then
		local v = ARGV[i + 1]
		count = count + 1
		out[#out + 1] = varint(#k) .. k .. varint(#v) .. v
	end
end
redis.call('SET', key, string.char(1) .. varint(count) .. table.concat(out), 'PXAT', ARGV[3])
return 1
`
