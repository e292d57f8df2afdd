-- A measurement, not part of the api: the seat-lock script's logic for N seats of one zone in one
-- call, to compare Redis's CPU per seat with the one-seat script (docs/benchmarks/profile.md,
-- section 6, "Redis and a group commit").
-- N seats of one zone in one call: KEYS as seat_lock.lua; ARGV[1] n, then per seat: offset,
-- ticket id; ARGV[2+2n] remaining field, ARGV[3+2n] capacity, ARGV[4+2n] event JSON.
local n = tonumber(ARGV[1])
local field, capacity, event = ARGV[2 + 2 * n], ARGV[3 + 2 * n], ARGV[4 + 2 * n]
local results = {}
local t = nil
for i = 1, n do
  local offset = tonumber(ARGV[2 * i])
  if redis.call('GETBIT', KEYS[1], offset) == 1 then
    results[i] = 0
  else
    local held = redis.call('HGET', KEYS[4], tostring(offset))
    if held then
      t = t or redis.call('TIME')
      local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      if tonumber(string.match(held, '|(%d+)$')) > now then results[i] = 2 else redis.call('HDEL', KEYS[4], tostring(offset)) end
    end
    if results[i] == nil then
      redis.call('SETBIT', KEYS[1], offset, 1)
      redis.call('HSETNX', KEYS[2], field, capacity)
      redis.call('HINCRBY', KEYS[2], field, -1)
      redis.call('HINCRBY', KEYS[2], 'sold', 1)
      redis.call('XADD', KEYS[3], '*', 'id', ARGV[2 * i + 1], 'e', event)
      results[i] = 1
    end
  end
end
return results
