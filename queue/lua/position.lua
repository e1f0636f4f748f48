-- Where a user's next job stands (core::Core::position): nil if the user is not eligible, else
-- {users ahead in the tenant, tenants ahead at the root (all of them if the tenant is at its cap)}.
-- ARGV[6]: tenant, [7]: user. Read-only; ZRANK orders by (score, member) like core's TagSet, and
-- an inline user is its tenant's only eligible one.
local t, u = ARGV[6], ARGV[7]
local ts = tstate(t)
local ur
if ts.iu then
  if ts.iu == u then ur = 0 end
else
  ur = rcall('ZRANK', k_users(ts.t), u)
end
if not ur then return false end
local tr = rcall('ZRANK', K_ROOT, t)
if not tr then tr = rcall('ZCARD', K_ROOT) end
return {ur, tr}
