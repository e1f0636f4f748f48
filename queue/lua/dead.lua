-- Dead letters. ARGV[6]: 'list' (ARGV[7] offset, [8] limit) | 'requeue' (ARGV[7] id) |
-- 'delete' (ARGV[7] id). list returns id, tenant, user, attempts, error, time, payload per job;
-- requeue and delete return 1, or 0 if the id is not dead-lettered.
local op = ARGV[6]
if op == 'list' then
  local off, lim = tonumber(ARGV[7]), tonumber(ARGV[8])
  local out = {}
  if lim > 0 then
    local r = redis.call('ZRANGE', K_DEAD, off, off + lim - 1, 'WITHSCORES')
    for i = 1, #r, 2 do
      local raw = redis.call('HGET', K_XJ, r[i])
      if raw then
        local p = split(raw, 5)  -- t, u, error, id, attempts, payload
        local n = #out
        out[n + 1] = r[i]; out[n + 2] = p[1]; out[n + 3] = p[2]; out[n + 4] = tonumber(p[5])
        out[n + 5] = p[3]; out[n + 6] = tonumber(r[i + 1]); out[n + 7] = p[6]
      end
    end
  end
  return out
end
local id = ARGV[7]
if redis.call('ZREM', K_DEAD, id) == 0 then return 0 end
local raw = redis.call('HGET', K_XJ, id)
redis.call('HDEL', K_XJ, id)
if op == 'delete' or not raw then
  redis.call('PEXPIRE', k_job(id), TTL)
  return 1
end
local p = split(raw, 5)
local t, u = p[1], p[2]
local us, ts = ustate(t, u), tstate(t)
local ready = us.r
local was_in = u_in(us, ready)
push_entry(us, id .. '\n0\n' .. p[6], false)
redis.call('PEXPIRE', k_job(id), TTL)
settle(us, ts, ready + 1, was_in)
wake_if_ready()
flush()
return 1
