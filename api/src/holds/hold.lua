#!lua
-- Holds a selection of seats of one event for one buyer: all of them, or none.
--
-- A seat is available when its bit in the zone's sold bitmap is 0 and it has no live hold:
-- no field in the zone's holds hash, or one whose deadline has passed. An expired hold is
-- free here and in every other script, so correctness never waits for a sweeper.
--
-- KEYS[1]  the hold's record            ARGV[1] hold id          ARGV[5] venue id
-- KEYS[2]  the buyer's live hold        ARGV[2] buyer id         ARGV[6] seats, JSON
-- KEYS[1+2p], KEYS[2+2p] for zone p:    ARGV[3] lifetime, ms     ARGV[7] total, cents
--   sold bitmap, holds hash             ARGV[4] record kept after the deadline, ms
--                                       ARGV[8] n; then per seat i: ARGV[7+2i] zone p,
--                                               ARGV[8+2i] seat offset
-- KEYS[#KEYS] the event's verification mark
-- Returns {1, deadline} when held (milliseconds, Redis's clock); {0, i, ...} the 1-based
-- indices of the seats sold or held by someone else; {2, hold id} when the buyer already
-- holds seats of this event; {-1} when the event's seat state is not verified (infra::redis).
if redis.call('GET', KEYS[#KEYS]) ~= tostring(redis.call('LASTSAVE')) then
    return {-1}
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local existing = redis.call('GET', KEYS[2])
if existing then
    return {2, existing}
end

local n = tonumber(ARGV[8])
local unavailable = {}
for i = 1, n do
    local p = tonumber(ARGV[7 + 2 * i])
    local offset = tonumber(ARGV[8 + 2 * i])
    local taken = redis.call('GETBIT', KEYS[1 + 2 * p], offset) == 1
    if not taken then
        local held = redis.call('HGET', KEYS[2 + 2 * p], tostring(offset))
        taken = held and tonumber(string.match(held, '|(%d+)$')) > now
    end
    if taken then
        unavailable[#unavailable + 1] = i
    end
end
if #unavailable > 0 then
    table.insert(unavailable, 1, 0)
    return unavailable
end

local deadline = now + tonumber(ARGV[3])
local mark = ARGV[1] .. '|' .. deadline
for i = 1, n do
    local p = tonumber(ARGV[7 + 2 * i])
    redis.call('HSET', KEYS[2 + 2 * p], tostring(tonumber(ARGV[8 + 2 * i])), mark)
end
redis.call('HSET', KEYS[1], 'buyer', ARGV[2], 'venue', ARGV[5], 'seats', ARGV[6], 'total', ARGV[7],
    'expires', deadline, 'state', 'held')
redis.call('PEXPIREAT', KEYS[1], deadline + tonumber(ARGV[4]))
redis.call('SET', KEYS[2], ARGV[1], 'PXAT', deadline)
return {1, deadline}
