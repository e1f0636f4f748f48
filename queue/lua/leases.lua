-- switchboard-queue: dispatch and the life of a lease (core scheduler.rs and leases.rs), for the
-- scripts that lease, ack, nack or reclaim. Follows state.lua.

-- Byte order, as Rust and sorted sets compare. Lua's '<' on strings uses the server's collation
-- (strcoll); where that is plain byte order (the C locale, as for a daemon without LANG) use it,
-- else compare byte by byte. Decided once, when the library loads.
local NATIVE_ORDER = ('B' < 'a') and ('a-b' < 'ab') and ('az' < 'a\195\169')
local function bytes_lt(a, b)
  if NATIVE_ORDER then return a < b end
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

local function pair_lt(a, b)
  if a[2] ~= b[2] then return a[2] < b[2] end
  return bytes_lt(a[1], b[1])
end

-- Reads the root's `n` smallest entries as dispatch candidates, in order. Any tenant not read sorts
-- after all of them, so `n` dispatches can choose among the candidates (plus tenants that re-enter,
-- inserted in order) without asking Redis again: exactly the order repeated ZPOPMINs would give.
local function start_dispatch(n)
  flush_root()
  local r = redis.call('ZRANGE', K_ROOT, 0, n - 1, 'WITHSCORES')
  CAND = { head = 1, tail = 0 }
  for i = 1, #r, 2 do
    CAND.tail = CAND.tail + 1
    CAND[CAND.tail] = { r[i], tonumber(r[i + 1]) }
  end
end

-- A tenant (re-)entering the root during a dispatch loop joins the candidates in order.
function add_candidate(t, tag)
  local c = { t, tag }
  local i = CAND.tail
  while i >= CAND.head and pair_lt(c, CAND[i]) do
    CAND[i + 1] = CAND[i]
    i = i - 1
  end
  CAND[i + 1] = c
  CAND.tail = CAND.tail + 1
end

local function next_candidate()
  if CAND.head > CAND.tail then return nil end
  local c = CAND[CAND.head]
  CAND.head = CAND.head + 1
  return c[1], c[2]
end

-- core::Core::dispatch (after start_dispatch). Returns entry, tenant, user; nil when nothing is
-- eligible; false after healing an inconsistency (cannot happen while the invariant holds; the
-- caller tries again).
local function dispatch()
  local t, tstart = next_candidate()
  if not t then return nil end
  local r2 = redis.call('ZPOPMIN', k_users(t))
  local G = gstate()
  G.v = tstart; G.dirty = true
  if #r2 == 0 then
    local ts = tstate(t)
    ts.c = 0
    set_root(t, ts, -1)
    settle_tenant(t, ts)
    return false
  end
  local u, ustart = r2[1], tonumber(r2[2])
  load({ f_t(t), f_u(t, u) })
  local ts, us = tstate(t), ustate(t, u)
  set_root(t, ts, -1)
  ts.c = ts.c - 1
  local kl = k_list(t, u)
  local entry = redis.call('LPOP', kl)
  if not entry then
    settle_tenant(t, ts)
    return false
  end
  ts.v = ustart
  ts.n = ts.n + 1
  ts.f = tstart + tag_inc(1, tweight(ts))
  if ts.f > G.fm then G.fm = ts.f end
  G.n = G.n + 1
  us.h = us.h + 1
  us.f = ustart + tag_inc(1, uweight(us))
  if us.f > ts.fm then ts.fm = us.f end
  us.dirty = true
  local ready = 0
  if us.h < ucap(us) then ready = redis.call('LLEN', kl) end
  settle(us, ts, ready, false)
  return entry, t, u
end

local function release_inflight(ts)
  local G = gstate()
  ts.n = ts.n - 1; ts.dirty = true
  G.n = G.n - 1; G.dirty = true
end

-- Dead-letters a job that held a user slot (core::Core::bury).
local function bury(id, t, u, err, entry, us)
  redis.call('PERSIST', k_job(id))
  redis.call('ZADD', K_DEAD, NOW, id)
  redis.call('HSET', K_XJ, id, t .. '\n' .. u .. '\n' .. err .. '\n' .. entry)
  us.h = us.h - 1; us.dirty = true
end

-- Parses a token 'seq.index' into the batch key and the field of `id` in it.
local function lease_slot(id, token)
  local dot = string.find(token, '.', 1, true)
  if not dot then return nil end
  local seq = tonumber(string.sub(token, 1, dot - 1))
  if not seq then return nil end
  local sk = pad(seq)
  return sk, id .. '\n' .. string.sub(token, dot + 1)
end

-- Ends the lease of `id` held by `token`; returns its batch key and record, or nil if stale.
local function end_lease(id, token)
  local sk, field = lease_slot(id, token)
  if not sk then return nil end
  local kb = k_batch(sk)
  local rec = redis.call('HGET', kb, field)
  if not rec then return nil end
  redis.call('HDEL', kb, field)
  if redis.call('EXISTS', kb) == 0 then redis.call('ZREM', K_INFL, sk) end
  return rec
end

-- core::Core::ack for one job, states already loaded. Returns 1, or 0 for a stale lease.
-- `kb`/`field` checked and removed by the caller.
local function acked(t, u, cost)
  local ts, us = tstate(t), ustate(t, u)
  local ready = redis.call('LLEN', k_list(t, u))
  local was_in = u_in(us, ready)
  release_inflight(ts)
  us.h = us.h - 1; us.dirty = true
  if cost then
    local G = gstate()
    local uw, tw = uweight(us), tweight(ts)
    local du = tag_inc(cost, uw) - tag_inc(1, uw)
    local dt = tag_inc(cost, tw) - tag_inc(1, tw)
    us.f = max(us.f + du, ts.v)
    if us.f > ts.fm then ts.fm = us.f end
    if was_in then
      local s = tonumber(redis.call('ZSCORE', k_users(t), u))
      redis.call('ZADD', k_users(t), max(s + du, ts.v), u)
    end
    ts.f = max(ts.f + dt, G.v)
    if ts.f > G.fm then G.fm = ts.f end
    if ts.s >= 0 then set_root(t, ts, max(ts.s + dt, G.v)) end
  end
  settle(us, ts, ready, was_in)
end

-- A reclaimed or released job goes back to its user: to the front (it was first) or the back.
local function requeue(t, u, entry, front, release_slot)
  local us, ts = ustate(t, u), tstate(t)
  local kl = k_list(t, u)
  local ready = redis.call('LLEN', kl)
  local was_in = u_in(us, ready)
  if release_slot then us.h = us.h - 1; us.dirty = true end
  if front then redis.call('LPUSH', kl, entry) else redis.call('RPUSH', kl, entry) end
  settle(us, ts, ready + 1, was_in)
end

-- The earliest score in a zset, or a time far away.
local NEVER = 9007199254740992
local function first_score(key)
  local r = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if #r == 0 then return NEVER end
  return tonumber(r[2])
end

-- core::Core::reclaim_expired. Returns the number of jobs taken back. Skipped (no call) while
-- the global state says no lease can have expired yet.
local function reclaim_expired()
  local G = gstate()
  if NOW < G.ik then return 0 end
  local expired = redis.call('ZRANGEBYSCORE', K_INFL, '-inf', NOW, 'LIMIT', 0, BATCH)
  local n = 0
  for _, sk in ipairs(expired) do
    redis.call('ZREM', K_INFL, sk)
    local kb = k_batch(sk)
    local all = redis.call('HGETALL', kb)
    redis.call('DEL', kb)
    local order = {}
    for i = 1, #all, 2 do order[#order + 1] = i end
    table.sort(order, function(a, b) return bytes_lt(all[a], all[b]) end)
    for _, i in ipairs(order) do
      local rec = split(all[i + 1], 4)  -- t, u, id, attempts, payload
      local t, u, id = rec[1], rec[2], rec[3]
      local attempts = tonumber(rec[4]) + 1
      local entry = id .. '\n' .. attempts .. '\n' .. rec[5]
      n = n + 1
      local us, ts = ustate(t, u), tstate(t)
      release_inflight(ts)
      if attempts >= MAX_ATTEMPTS then
        local ready = redis.call('LLEN', k_list(t, u))
        local was_in = u_in(us, ready)
        bury(id, t, u, 'lease expired', entry, us)
        settle(us, ts, ready, was_in)
      else
        requeue(t, u, entry, true, true)
      end
    end
  end
  G.ik = first_score(K_INFL); G.dirty = true
  return n
end

-- core::Core::release_due. Returns the number of jobs released. Skipped (no call) while the
-- global state says nothing delayed is due yet.
local function release_due()
  local G = gstate()
  if NOW < G.dk then return 0 end
  local due = redis.call('ZRANGEBYSCORE', K_DELAY, '-inf', NOW, 'LIMIT', 0, BATCH)
  for _, id in ipairs(due) do
    redis.call('ZREM', K_DELAY, id)
    local raw = redis.call('HGET', K_DJ, id)
    if raw then
      redis.call('HDEL', K_DJ, id)
      local rec = split(raw, 3)  -- kind, t, u, entry
      local retry = rec[1] == 'R'
      requeue(rec[2], rec[3], rec[4], retry, retry)
    end
  end
  G.dk = first_score(K_DELAY); G.dirty = true
  return #due
end

-- The earliest delayed due time or lease deadline, or -1.
local function next_wakeup()
  local best = -1
  for _, k in ipairs({ K_DELAY, K_INFL }) do
    local r = redis.call('ZRANGE', k, 0, 0, 'WITHSCORES')
    if #r > 0 then
      local at = tonumber(r[2])
      if best < 0 or at < best then best = at end
    end
  end
  return best
end
