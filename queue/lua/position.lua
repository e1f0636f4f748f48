-- Where a user's next job stands (core::Core::position): nil if the user is not eligible, else
-- {users ahead in the tenant, tenants ahead at the root (all of them if the tenant is at its cap)}.
-- ARGV[6]: tenant, [7]: user. Read-only; ZRANK orders by (score, member) like core's TagSet.
local t, u = ARGV[6], ARGV[7]
local ur = redis.call('ZRANK', k_users(t), u)
if not ur then return false end
local tr = redis.call('ZRANK', K_ROOT, t)
if not tr then tr = redis.call('ZCARD', K_ROOT) end
return {ur, tr}
