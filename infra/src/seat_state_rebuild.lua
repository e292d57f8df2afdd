#!lua
-- Rebuilds an event's seat state after Redis came back empty or behind, from the seats the
-- stores hold, and marks it verified. Atomically: every zone's sold bitmap gets the stores'
-- seats ORed in (a bit is never cleared: a sale Redis still has and the stores do not yet
-- have is kept), the counters are set from the bitmaps, the mark is set to LASTSAVE.
--
-- KEYS[1] counters hash of the event      ARGV[1] n, the zones
-- KEYS[2] the event's verification mark   per zone p: ARGV[3p-1] its remaining-seats field,
-- KEYS[3] scratch key                       ARGV[3p] seats in the zone,
-- KEYS[3+p] sold bitmap of zone p           ARGV[3p+1] bitmap of the stores' seats (may be empty)
-- Returns the seats sold in all, or -1 with nothing changed while LASTSAVE is the server's
-- current second (infra::redis: a mark of that second would not tell a restart within it).
local lastsave = redis.call('LASTSAVE')
if tonumber(redis.call('TIME')[1]) <= lastsave then
    return -1
end
local n = tonumber(ARGV[1])
local sold = 0
for p = 1, n do
    local bitmap = KEYS[3 + p]
    local stored = ARGV[3 * p + 1]
    if #stored > 0 then
        redis.call('SET', KEYS[3], stored)
        redis.call('BITOP', 'OR', bitmap, bitmap, KEYS[3])
        redis.call('DEL', KEYS[3])
    end
    local zone_sold = redis.call('BITCOUNT', bitmap)
    redis.call('HSET', KEYS[1], ARGV[3 * p - 1], tonumber(ARGV[3 * p]) - zone_sold)
    sold = sold + zone_sold
end
redis.call('HSET', KEYS[1], 'sold', sold)
redis.call('SET', KEYS[2], lastsave)
return sold
