-- The reaper's call: reclaim expired leases, release due delayed jobs, forget a chunk of idle
-- flows, wake a worker if anything is ready. ARGV[6]: state fields to examine for pruning.
-- Returns {reclaimed, released, pruned, next wakeup or -1}.
local reclaimed = reclaim_expired()
local released = release_due()
local K_PC = P .. ':pc'
local scan = redis.call('HSCAN', K_S, redis.call('GET', K_PC) or '0', 'COUNT', tonumber(ARGV[6]))
redis.call('SET', K_PC, scan[1])
local G = gstate()
local pruned = 0
local entries = scan[2]
for i = 1, #entries, 2 do
  local field = entries[i]
  local b = string.byte(field, 1)
  if b == 2 then
    local nl = string.find(field, '\n', 1, true)
    local t, u = string.sub(field, 2, nl - 1), string.sub(field, nl + 1)
    local us, ts = ustate(t, u), tstate(t)
    if not us.gone and us.h == 0 and us.f <= ts.v and us.r == 0 then
      if us.w <= 0 and us.cap < 0 then
        redis.call('HDEL', K_S, field)
        us.gone = true
        ts.k = ts.k - 1; ts.dirty = true
        pruned = pruned + 1
      elseif us.f ~= 0 then
        -- Operator settings stay; a finish tag behind virtual time is the same as none.
        us.f = 0; us.dirty = true
      end
    end
  elseif b == 1 then
    local ts = tstate(ssub(field, 2))
    if not ts.gone and ts.k == 0 and ts.c == 0 and ts.n == 0 and ts.f <= G.v and ts.fm <= ts.v
        and ts.w <= 0 and ts.cap < 0 then
      redis.call('HDEL', K_S, field)
      ts.gone = true
      pruned = pruned + 1
    end
  end
end
wake_if_ready()
local nw = next_wakeup()
flush()
return { reclaimed, released, pruned, nw }
