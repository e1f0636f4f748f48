-- Moves an existing schedule's next run, leaving its other fields alone; the due index follows
-- only if the schedule is in it (enabled).
-- KEYS[1] schedules hash, KEYS[2] due sorted set
-- ARGV member, next_run_ms
-- Returns 1, 0 if there is no schedule, -1 if the stored one has no next run (corrupt).
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return 0 end
local bar = string.find(v, '|', 1, true)
if not bar then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. string.sub(v, bar))
redis.call('ZADD', KEYS[2], 'XX', ARGV[2], ARGV[1])
return 1
