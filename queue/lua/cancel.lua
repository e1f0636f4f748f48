-- Drop a user's queued jobs: ready ones and `not_before` ones (not leased, not waiting to retry).
-- ARGV[6]: tenant, [7]: user. Returns how many. Their ids stay known until the tombstones expire.
local t, u = ARGV[6], ARGV[7]
local us = ustate(t, u)
local n = us.r
if n > 0 then
  local ts = tstate(t)
  local was_in = u_in(us, n)
  local kl = klist(us)
  local entries = rcall('LRANGE', kl, 0, -1)
  entries[#entries + 1] = us.e
  rcall('DEL', kl)
  us.e = false; us.r = 0; us.dirty = true
  for _, e in ipairs_(entries) do
    rcall('PEXPIRE', k_job(ssub(e, 1, sfind(e, '\n', 1, true) - 1)), TTL)
  end
  settle(us, ts, 0, was_in)
end
local all = rcall('HGETALL', K_DJ)
for i = 1, #all, 2 do
  local p = split(all[i + 1], 3)
  if p[1] == 'N' and p[2] == t and p[3] == u then
    rcall('ZREM', K_DELAY, all[i])
    rcall('HDEL', K_DJ, all[i])
    rcall('PEXPIRE', k_job(all[i]), TTL)
    n = n + 1
  end
end
flush()
return n
