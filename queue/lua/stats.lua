-- Depth per tenant and user: rows of tenant, user, ready, in flight, delayed; then the dead count.
-- Walks every flow, lease batch and delayed job: for operators, not for hot paths.
local rows, order = {}, {}
local function row(t, u)
  local key = t .. '\n' .. u
  local r = rows[key]
  if not r then
    r = { t, u, 0, 0, 0 }
    rows[key] = r
    order[#order + 1] = key
  end
  return r
end
local users = {}
local function note(t, u)
  local m = users[t]
  if not m then m = {}; users[t] = m end
  if u then m[u] = true end
end
for _, f in ipairs(redis.call('HKEYS', K_S)) do
  local b = string.byte(f, 1)
  if b == 1 then
    note(string.sub(f, 2))
  elseif b == 2 then
    local nl = string.find(f, '\n', 1, true)
    note(string.sub(f, 2, nl - 1), string.sub(f, nl + 1))
  end
end
for t, m in pairs(users) do
  for _, u in ipairs(redis.call('ZRANGE', k_users(t), 0, -1)) do m[u] = true end
end
for _, sk in ipairs(redis.call('ZRANGE', K_INFL, 0, -1)) do
  for _, v in ipairs(redis.call('HVALS', k_batch(sk))) do
    local p = split(v, 2)
    local r = row(p[1], p[2]); r[4] = r[4] + 1
  end
end
for _, v in ipairs(redis.call('HVALS', K_DJ)) do
  local p = split(v, 3)
  local r = row(p[2], p[3]); r[5] = r[5] + 1
end
for t, m in pairs(users) do
  for u, _ in pairs(m) do
    local n = redis.call('LLEN', k_list(t, u))
    if n > 0 then row(t, u)[3] = n end
  end
end
local out = {}
for _, key in ipairs(order) do
  local r = rows[key]
  for j = 1, 5 do out[#out + 1] = r[j] end
end
return { out, redis.call('ZCARD', K_DEAD) }
