-- Ack finished leases, then lease up to max jobs: one round trip per batch for a busy worker.
-- ARGV[6]: lease ms, [7]: max, [8]: ack count, then per ack: id, token, tenant, user, cost ('' for
-- none). Returns {acked (1/0 each), batch seq (0: none), deadline, leases (tenant, user, entry
-- each), next wakeup (-1: none; only when nothing was leased)}.
local lease_ms, maxn, na = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local fields = { '' }
for i = 0, na - 1 do
  local b = 9 + i * 5
  fields[#fields + 1] = f_t(ARGV[b + 2])
  fields[#fields + 1] = f_u(ARGV[b + 2], ARGV[b + 3])
end
load(fields)
-- End the leases, one HMGET and one HDEL per lease batch (a worker acks its last batch).
local acks, groups, order = {}, {}, {}
for i = 0, na - 1 do
  local b = 9 + i * 5
  acks[i + 1] = 0
  local sk, field = lease_slot(ARGV[b], ARGV[b + 1])
  if sk then
    local g = groups[sk]
    if not g then g = { fields = {}, idx = {} }; groups[sk] = g; order[#order + 1] = sk end
    g.fields[#g.fields + 1] = field
    g.idx[#g.idx + 1] = i + 1
  end
end
for _, sk in ipairs(order) do
  local g, kb = groups[sk], k_batch(sk)
  local held = redis.call('HMGET', kb, unpack(g.fields))
  local del = {}
  for j, f in ipairs(g.fields) do
    if held[j] then del[#del + 1] = f; acks[g.idx[j]] = 1 end
  end
  if #del > 0 then
    redis.call('HDEL', kb, unpack(del))
    if redis.call('EXISTS', kb) == 0 then redis.call('ZREM', K_INFL, sk) end
  end
end
for i = 0, na - 1 do
  if acks[i + 1] == 1 then
    local b = 9 + i * 5
    local cost = ARGV[b + 4]
    acked(ARGV[b + 2], ARGV[b + 3], cost ~= '' and tonumber(cost) or nil)
  end
end
local leases, k, seq, deadline = {}, 0, 0, NOW + lease_ms
if maxn > 0 then
  reclaim_expired()
  release_due()
  start_dispatch(maxn)
  local batch = {}
  while k < maxn do
    local entry, t, u = dispatch()
    if entry == nil then break end
    if entry then
      local id = string.sub(entry, 1, string.find(entry, '\n', 1, true) - 1)
      batch[#batch + 1] = id .. '\n' .. k
      batch[#batch + 1] = t .. '\n' .. u .. '\n' .. entry
      leases[#leases + 1] = t; leases[#leases + 1] = u; leases[#leases + 1] = entry
      k = k + 1
    end
  end
  CAND = nil
  if k > 0 then
    local G = gstate()
    G.seq = G.seq + 1; G.dirty = true
    seq = G.seq
    local sk = pad(seq)
    redis.call('HSET', k_batch(sk), unpack(batch))
    redis.call('ZADD', K_INFL, deadline, sk)
    note_leased(deadline)
  end
end
-- More is ready than this call took (or it only acked): pass the baton to a sleeping worker.
if k == maxn then wake_if_ready() end
local nw = -1
if k == 0 and maxn > 0 then nw = next_wakeup() end
flush()
return { acks, seq, deadline, leases, nw }
