-- Enqueue jobs (one call for a batch). ARGV[6]: count, then per job: id, tenant, user, not_before
-- (0: none), entry (id..'\n0\n'..payload). Returns per job 1 (new) or 0 (id already known).
-- An id stays known for the tombstone time after it was enqueued (after its due time, if
-- delayed), and for as long as it is dead-lettered.
local n = tonumber(ARGV[6])
local fields = { '' }
for i = 0, n - 1 do
  local b = 7 + i * 5
  fields[#fields + 1] = f_t(ARGV[b + 1])
  fields[#fields + 1] = f_u(ARGV[b + 1], ARGV[b + 2])
end
load(fields)
local root_was_empty = gstate().r == 0
local out = {}
for i = 0, n - 1 do
  local b = 7 + i * 5
  local id, t, u, nb, entry = ARGV[b], ARGV[b + 1], ARGV[b + 2], tonumber(ARGV[b + 3]), ARGV[b + 4]
  if not redis.call('SET', k_job(id), '1', 'NX', 'PX', TTL + max(0, nb - NOW)) then
    out[i + 1] = 0
  else
    out[i + 1] = 1
    if nb > NOW then
      redis.call('ZADD', K_DELAY, nb, id)
      note_delayed(nb)
      redis.call('HSET', K_DJ, id, 'N\n' .. t .. '\n' .. u .. '\n' .. entry)
    elseif redis.call('RPUSH', k_list(t, u), entry) == 1 then
      -- The user had no ready job, so was in no set; it joins if under its cap.
      local us = ustate(t, u)
      if us.h < ucap(us) then settle(us, tstate(t), 1, false) end
    end
  end
end
if root_was_empty and ENTERED_ROOT then wake() end
flush()
return out
