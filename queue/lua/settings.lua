-- Operator settings. ARGV[6]: 'tenant_weight' | 'user_weight' | 'tenant_cap' | 'user_cap',
-- [7]: tenant, [8]: user (or ''), [9]: value ('' restores the default).
local what, t, u, value = ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local ts = tstate(t)
if what == 'tenant_weight' then
  ts.w = tonumber(value); ts.dirty = true
elseif what == 'user_weight' then
  local us = ustate(t, u)
  us.w = tonumber(value); us.dirty = true
elseif what == 'tenant_cap' then
  ts.cap = value == '' and -1 or tonumber(value); ts.dirty = true
  settle_tenant(ts)
elseif what == 'user_cap' then
  local us = ustate(t, u)
  local ready = us.r
  local was_in = u_in(us, ready)
  us.cap = value == '' and -1 or tonumber(value); us.dirty = true
  settle(us, ts, ready, was_in)
end
wake_if_ready()
flush()
return 1
