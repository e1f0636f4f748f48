-- Ack finished leases, then lease up to max jobs: one round trip per batch for a busy worker.
-- ARGV[6]: lease ms, [7]: max, [8]: ack count, then per ack: id, token, tenant, user, cost ('' for
-- none). Returns {acked (1/0 each), batch seq (0: none), deadline, leases (tenant, user, entry
-- each), when to look again (-1: nothing pending; only when nothing was leased)}.
local lease_ms, maxn, na = int(ARGV[6]), int(ARGV[7]), int(ARGV[8])
-- The global state and every acked flow's, in one HMGET.
local flows = FLOWS
for i = 0, na - 1 do
  local b = 9 + i * 5
  flows[2 * i + 1] = ARGV[b + 2]
  flows[2 * i + 2] = ARGV[b + 3]
end
load_flows(flows, 2 * na, flows)
-- End the leases, one HMGET and one HDEL per lease batch (a worker acks its last batch).
local acks, groups, order, keys = {}, {}, {}, {}
for i = 1, na do
  local b = 4 + i * 5
  acks[i] = 0
  local token = ARGV[b + 1]
  local dot = sfind(token, '.', 1, true)
  if dot then
    local seqs = ssub(token, 1, dot - 1)
    local sk = keys[seqs]
    if sk == nil then
      sk = batch_key(seqs) or false
      keys[seqs] = sk
    end
    if sk then
      local g = groups[sk]
      if not g then
        g = { {}, {} }
        groups[sk] = g
        order[#order + 1] = sk
      end
      local n = #g[1] + 1
      g[1][n] = ARGV[b] .. '\n' .. ssub(token, dot + 1)
      g[2][n] = i
    end
  end
end
for _, sk in ipairs_(order) do
  local g, kb = groups[sk], k_batch(sk)
  local fields, idx = g[1], g[2]
  local held = rcall('HMGET', kb, unpk(fields))
  local del, nd = {}, 0
  for j = 1, #fields do
    if held[j] then
      nd = nd + 1
      del[nd] = fields[j]
      acks[idx[j]] = 1
    end
  end
  if nd > 0 then
    rcall('HDEL', kb, unpk(del, 1, nd))
    if rcall('EXISTS', kb) == 0 then rcall('ZREM', K_INFL, sk) end
  end
end
for i = 1, na do
  if acks[i] == 1 then
    local cost = ARGV[8 + i * 5]
    acked(flows[2 * i - 1], flows[2 * i], cost ~= '' and tonum(cost) or nil)
  end
end
local leases, k, seq, deadline = {}, 0, 0, NOW + lease_ms
if maxn > 0 then
  reclaim_expired()
  release_due()
  start_dispatch(maxn)
  local batch, nb, nl = BATCH_KV, 0, 0
  while k < maxn do
    local entry, t, u = dispatch()
    if entry == nil then break end
    if entry then
      batch[nb + 1] = ssub(entry, 1, sfind(entry, '\n', 1, true) - 1) .. '\n' .. num(k)
      batch[nb + 2] = t .. '\n' .. u .. '\n' .. entry
      nb = nb + 2
      leases[nl + 1] = t; leases[nl + 2] = u; leases[nl + 3] = entry
      nl = nl + 3
      k = k + 1
    end
  end
  CAND = nil
  if k > 0 then
    local g = G
    g.seq = g.seq + 1; g.dirty = true
    seq = g.seq
    local sk = pad(seq)
    rcall('HSET', k_batch(sk), unpk(batch, 1, nb))
    rcall('ZADD', K_INFL, deadline, sk)
    note_leased(deadline)
  end
end
-- More is ready than this call took (or it only acked): pass the baton to a sleeping worker.
if k == maxn then wake_if_ready() end
local nw = -1
if k == 0 and maxn > 0 then nw = next_look() end
flush()
return { acks, seq, deadline, leases, nw }
