#!lua
-- The commit point of a direct purchase. Atomically: claim the seat, count it, and append the
-- ticket event to the event's outbox stream; or change nothing if the seat is sold or held.
--
-- The shebang makes Redis refuse the whole script up front when it is out of memory, so it
-- never stops half-way with the seat claimed but no event in the outbox.
--
-- KEYS[1] sold-seat bitmap of the zone   ARGV[1] seat offset in the zone
-- KEYS[2] counters hash of the event     ARGV[2] remaining-seats field of the zone
-- KEYS[3] outbox stream of the event     ARGV[3] seats in the zone
-- KEYS[4] holds hash of the zone         ARGV[4] outbox field of the ticket id
-- KEYS[5] the event's verification mark  ARGV[5] ticket id
--                                        ARGV[6] outbox field of the event
--                                        ARGV[7] ticket event (JSON)
-- The outbox field names come from the event contract (infra::contract), its one spelling.
-- Returns 1 when the seat was sold now, 0 when it was sold before, 2 when a live hold has it,
-- -1 when the event's seat state is not verified (Redis restarted or lost it: the api
-- rebuilds it from the stores first; infra::redis).

if redis.call('GET', KEYS[5]) ~= tostring(redis.call('LASTSAVE')) then
    return -1
end

-- tonumber: the offset may come zero-padded (redis-benchmark's __rand_int__ runs this very
-- script in scripts/bench.sh).
local offset = tonumber(ARGV[1])
if redis.call('GETBIT', KEYS[1], offset) == 1 then
    return 0
end
local held = redis.call('HGET', KEYS[4], tostring(offset))
if held then
    -- A hold past its deadline (milliseconds, Redis's clock) is free: tidy it away.
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    if tonumber(string.match(held, '|(%d+)$')) > now then
        return 2
    end
    redis.call('HDEL', KEYS[4], tostring(offset))
end
redis.call('SETBIT', KEYS[1], offset, 1)
redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3])
redis.call('HINCRBY', KEYS[2], ARGV[2], -1)
redis.call('HINCRBY', KEYS[2], 'sold', 1)
redis.call('XADD', KEYS[3], '*', ARGV[4], ARGV[5], ARGV[6], ARGV[7])
return 1
