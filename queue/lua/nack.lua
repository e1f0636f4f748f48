-- Give a lease back. ARGV[6]: id, [7]: token, [8]: 'retry' or 'dead', [9]: delay ms, [10]: '1' if
-- a failed attempt, [11]: error (one line). Returns {0: stale | 1: retry | 2: dead-lettered, due}.
local id, token = ARGV[6], ARGV[7]
local raw = end_lease(id, token)
if not raw then return { 0, 0 } end
local rec = split(raw, 4)  -- t, u, id, attempts, payload
local t, u = rec[1], rec[2]
local attempts = tonumber(rec[4])
load_flows({ t, u }, 2)
local ts, us = tstate(t), ustate(t, u)
local ready = us.r
local was_in = u_in(us, ready)
release_inflight(ts)
local err = ARGV[11]
local outcome, due = 2, 0
if ARGV[8] == 'retry' then
  local failed = ARGV[10] == '1'
  if failed then attempts = attempts + 1 end
  if not (failed and attempts >= MAX_ATTEMPTS) then
    outcome = 1
    due = NOW + tonumber(ARGV[9])
  end
end
local entry = id .. '\n' .. attempts .. '\n' .. rec[5]
if outcome == 1 then
  redis.call('ZADD', K_DELAY, due, id)
  note_delayed(due)
  redis.call('HSET', K_DJ, id, 'R\n' .. t .. '\n' .. u .. '\n' .. entry)
else
  bury(id, t, u, err, entry, us)
end
settle(us, ts, ready, was_in)
wake_if_ready()
flush()
return { outcome, due }
