-- Drop a user's queued jobs: ready ones and `not_before` ones (not leased, not waiting to retry).
-- ARGV[6]: tenant, [7]: user. Returns how many. Their ids stay known until the tombstones expire.
local t, u = ARGV[6], ARGV[7]
local kl = k_list(t, u)
local entries = redis.call('LRANGE', kl, 0, -1)
local n = #entries
if n > 0 then
  local us, ts = ustate(t, u), tstate(t)
  local was_in = u_in(us, n)
  redis.call('DEL', kl)
  for _, e in ipairs(entries) do
    redis.call('PEXPIRE', k_job(string.sub(e, 1, string.find(e, '\n', 1, true) - 1)), TTL)
  end
  settle(us, ts, 0, was_in)
end
local all = redis.call('HGETALL', K_DJ)
for i = 1, #all, 2 do
  local p = split(all[i + 1], 3)
  if p[1] == 'N' and p[2] == t and p[3] == u then
    redis.call('ZREM', K_DELAY, all[i])
    redis.call('HDEL', K_DJ, all[i])
    redis.call('PEXPIRE', k_job(all[i]), TTL)
    n = n + 1
  end
end
flush()
return n
