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
-- Ready counts live in the user states.
local all = rcall('HGETALL', K_S)
for i = 1, #all, 2 do
  local f = all[i]
  if sbyte(f, 1) == 2 then
    local _, _, _, _, r = sunpack('<ddddd', all[i + 1])
    if r > 0 then
      local nl = sfind(f, '\n', 1, true)
      row(ssub(f, 2, nl - 1), ssub(f, nl + 1))[3] = r
    end
  end
end
local out = {}
for _, key in ipairs(order) do
  local r = rows[key]
  for j = 1, 5 do out[#out + 1] = r[j] end
end
return { out, redis.call('ZCARD', K_DEAD) }
