-- Enqueue jobs (one call for a batch). ARGV[6]: count, then per job: id, tenant, user, not_before
-- (0: none), entry (id..'\n0\n'..payload). Returns per job 1 (new) or 0 (id already known).
-- An id stays known for the tombstone time after it was enqueued (after its due time, if
-- delayed), and for as long as it is dead-lettered.
local n = int(ARGV[6])
local flows = FLOWS
for i = 0, n - 1 do
  local b = 7 + i * 5
  flows[2 * i + 1] = ARGV[b + 1]
  flows[2 * i + 2] = ARGV[b + 2]
end
load_flows(flows, 2 * n, flows)
local root_was_empty = G.r == 0
local out = {}
for i = 1, n do
  local b = 2 + i * 5
  local id, nbs, entry = ARGV[b], ARGV[b + 3], ARGV[b + 4]
  local ts, us = flows[2 * i - 1], flows[2 * i]
  local nb, px = 0, TTL_S
  if nbs ~= '0' then
    nb = tonum(nbs)
    if nb > NOW then px = TTL + nb - NOW end
  end
  if not rcall('SET', K_J .. id, '1', 'NX', 'PX', px) then
    out[i] = 0
  else
    out[i] = 1
    if nb > NOW then
      rcall('ZADD', K_DELAY, nb, id)
      note_delayed(nb)
      rcall('HSET', K_DJ, id, 'N\n' .. ts.t .. '\n' .. us.u .. '\n' .. entry)
    else
      local was = us.r
      push_entry(us, entry, false)
      -- A user with no ready job was in no set; it joins if under its cap.
      if was == 0 and us.h < ucap(us) then settle(us, ts, 1, false) end
    end
  end
end
if root_was_empty and ENTERED_ROOT then wake() end
flush()
return out
