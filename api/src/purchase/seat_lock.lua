#!lua
-- The commit point of a purchase. Atomically: claim the seat, count it, and append the
-- ticket event to the event's outbox stream, or change nothing if the seat is taken.
--
-- The shebang makes Redis refuse the whole script up front when it is out of memory, so it
-- never stops half-way with the seat claimed but no event in the outbox.
--
-- KEYS[1] sold-seat bitmap of the zone   ARGV[1] seat offset in the zone
-- KEYS[2] counters hash of the event     ARGV[2] remaining-seats field of the zone
-- KEYS[3] outbox stream of the event     ARGV[3] seats in the zone
--                                        ARGV[4] outbox field of the ticket id
--                                        ARGV[5] ticket id
--                                        ARGV[6] outbox field of the event
--                                        ARGV[7] ticket event (JSON)
-- The outbox field names come from the event contract (infra::contract), its one spelling.
-- Returns 1 when the seat was sold now, 0 when it was already sold.

-- tonumber: the offset may come zero-padded (redis-benchmark's __rand_int__ runs this very
-- script in scripts/bench.sh).
if redis.call('SETBIT', KEYS[1], tonumber(ARGV[1]), 1) == 1 then
    return 0
end
redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3])
redis.call('HINCRBY', KEYS[2], ARGV[2], -1)
redis.call('HINCRBY', KEYS[2], 'sold', 1)
redis.call('XADD', KEYS[3], '*', ARGV[4], ARGV[5], ARGV[6], ARGV[7])
return 1
