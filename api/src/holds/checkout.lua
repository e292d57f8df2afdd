#!lua
-- Turns a paid hold into sold seats: the commit point of a checkout. Atomically: checks the
-- hold is the buyer's, still held and not expired, and that each of its seats is still its
-- own; then sells every seat as the direct purchase does (bit, counters, one outbox entry
-- per ticket) and marks the hold sold with its order. Or changes nothing.
--
-- KEYS[1]  the hold's record         ARGV[1] hold id         ARGV[6] record kept, ms
-- KEYS[2]  the buyer's live hold     ARGV[2] buyer id        ARGV[7] outbox field: ticket id
-- KEYS[3]  counters of the event     ARGV[3] order id        ARGV[8] outbox field: event
-- KEYS[4]  outbox of the event       ARGV[4] order, JSON     ARGV[9] n; then per seat i,
-- KEYS[3+2p], KEYS[4+2p] for zone p: ARGV[5] charge id         from j = 10 + 6(i-1):
--   sold bitmap, holds hash            ARGV[j] zone p, ARGV[j+1] seat offset,
--                                      ARGV[j+2] remaining field, ARGV[j+3] seats in zone,
--                                      ARGV[j+4] ticket id, ARGV[j+5] ticket event JSON
-- KEYS[#KEYS] the event's verification mark
-- Returns {1} when sold now; {2, order JSON, charge id} when an earlier checkout sold it;
-- {0} when the buyer has no such hold; {3} when it expired or was released; {-1} when the
-- event's seat state is not verified (infra::redis).
if redis.call('GET', KEYS[#KEYS]) ~= tostring(redis.call('LASTSAVE')) then
    return {-1}
end
if redis.call('HGET', KEYS[1], 'buyer') ~= ARGV[2] then
    return {0}
end
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'sold' then
    return {2, redis.call('HGET', KEYS[1], 'order'), redis.call('HGET', KEYS[1], 'charge')}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if state ~= 'held' or tonumber(redis.call('HGET', KEYS[1], 'expires')) <= now then
    return {3}
end

local n = tonumber(ARGV[9])
local prefix = ARGV[1] .. '|'
for i = 1, n do
    local j = 10 + 6 * (i - 1)
    local p = tonumber(ARGV[j])
    local offset = tonumber(ARGV[j + 1])
    local held = redis.call('HGET', KEYS[4 + 2 * p], tostring(offset))
    if redis.call('GETBIT', KEYS[3 + 2 * p], offset) == 1 or not held
        or string.sub(held, 1, #prefix) ~= prefix then
        return {3}
    end
end

for i = 1, n do
    local j = 10 + 6 * (i - 1)
    local p = tonumber(ARGV[j])
    local offset = tonumber(ARGV[j + 1])
    redis.call('SETBIT', KEYS[3 + 2 * p], offset, 1)
    redis.call('HDEL', KEYS[4 + 2 * p], tostring(offset))
    redis.call('HSETNX', KEYS[3], ARGV[j + 2], ARGV[j + 3])
    redis.call('HINCRBY', KEYS[3], ARGV[j + 2], -1)
    redis.call('XADD', KEYS[4], '*', ARGV[7], ARGV[j + 4], ARGV[8], ARGV[j + 5])
end
redis.call('HINCRBY', KEYS[3], 'sold', n)
redis.call('HSET', KEYS[1], 'state', 'sold', 'order', ARGV[4], 'charge', ARGV[5])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[6]))
redis.call('DEL', KEYS[2])
return {1}
