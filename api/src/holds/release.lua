#!lua
-- Gives the seats of a hold back at once.
--
-- KEYS[1]  the hold's record            ARGV[1] hold id
-- KEYS[2]  the buyer's live hold        ARGV[2] buyer id
-- KEYS[2+p] holds hash of zone p        ARGV[3] record kept after the release, ms
--                                       ARGV[4] n; then per seat i: ARGV[3+2i] zone p,
--                                               ARGV[4+2i] seat offset
-- Returns 1 when released (or released before), 0 when the buyer has no such hold, 2 when
-- the hold was checked out.
if redis.call('HGET', KEYS[1], 'buyer') ~= ARGV[2] then
    return 0
end
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'sold' then
    return 2
end
local prefix = ARGV[1] .. '|'
local n = tonumber(ARGV[4])
for i = 1, n do
    local holds = KEYS[2 + tonumber(ARGV[3 + 2 * i])]
    local field = tostring(tonumber(ARGV[4 + 2 * i]))
    local held = redis.call('HGET', holds, field)
    -- Only this hold's mark: once it expired, another hold may have the seat.
    if held and string.sub(held, 1, #prefix) == prefix then
        redis.call('HDEL', holds, field)
    end
end
if redis.call('GET', KEYS[2]) == ARGV[1] then
    redis.call('DEL', KEYS[2])
end
redis.call('HSET', KEYS[1], 'state', 'released')
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
