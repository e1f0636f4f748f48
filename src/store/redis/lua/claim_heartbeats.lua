-- Claims up to `limit` due check-in schedules, earliest first: each one's due time in the index
-- moves to the end of the hold, so no other claimer gets it before its claimer reschedules it,
-- or, after a crash, before the hold ends. The stored schedule (what the user sees) is left alone.
-- KEYS[1] schedules hash (member -> `<next_run_ms>|<json>`), KEYS[2] due sorted set
-- ARGV now_ms, hold_until_ms, limit
-- Returns member, due time it was claimed at, schedule triples.
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, ARGV[3])
local out = {}
for i = 1, #due, 2 do
  local member = due[i]
  local v = redis.call('HGET', KEYS[1], member)
  if v and string.find(v, '|', 1, true) then
    redis.call('ZADD', KEYS[2], ARGV[2], member)
    out[#out + 1] = member
    out[#out + 1] = due[i + 1]
    out[#out + 1] = v
  else
    -- Indexed without a (readable) schedule: nothing to run, stop offering it.
    redis.call('ZREM', KEYS[2], member)
  end
end
return out
