-- switchboard-queue: dispatch and the life of a lease (core scheduler.rs and leases.rs), for the
-- scripts that lease, ack, nack or reclaim. Follows state.lua.

-- Byte order, as Rust and sorted sets compare. Lua's '<' on strings uses the server's collation
-- (strcoll); where that is plain byte order (the C locale, as for a daemon without LANG) use it,
-- else compare byte by byte. Decided once, when the library loads.
local NATIVE_ORDER = ('B' < 'a') and ('a-b' < 'ab') and ('az' < 'a\195\169')
local function bytes_lt(a, b)
  if NATIVE_ORDER then return a < b end
  local n = mmin(#a, #b)
  for i = 1, n do
    local x, y = sbyte(a, i), sbyte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

-- During a dispatch loop: the candidate tenants and their tags, in order, from CH to CN.
local CT, CS, CH, CN

-- Reads the root's `n` smallest entries as dispatch candidates, in order. Any tenant not read sorts
-- after all of them, so `n` dispatches can choose among the candidates (plus tenants that re-enter,
-- inserted in order) without asking Redis again: exactly the order repeated ZPOPMINs would give.
local function start_dispatch(n)
  flush_root()
  -- A tenant's root tag is its state's s (flush_root wrote one from the other): no scores to
  -- format and parse.
  local r = rcall('ZRANGE', K_ROOT, 0, num(n - 1))
  CT, CS, CH, CN = {}, {}, 1, #r
  local names = NAMES
  for i = 1, CN do
    CT[i] = r[i]
    names[2 * i - 1] = r[i]
    names[2 * i] = false
  end
  load_flows(names, 2 * CN)  -- the candidates' states, in one HMGET
  -- and the states of their inline users (most will be dispatched), in another.
  local m = 0
  for i = 1, CN do
    local ts = ST['\1' .. CT[i]]
    CS[i] = ts.s
    if ts.iu then
      names[m + 1] = ts.t
      names[m + 2] = ts.iu
      m = m + 2
    end
  end
  if m > 0 then load_flows(names, m) end
  CAND = true
end

-- A tenant (re-)entering the root during a dispatch loop joins the candidates in (tag, name)
-- order.
function add_candidate(t, tag)
  local i = CN
  while i >= CH and (tag < CS[i] or (tag == CS[i] and bytes_lt(t, CT[i]))) do
    CT[i + 1] = CT[i]
    CS[i + 1] = CS[i]
    i = i - 1
  end
  CT[i + 1] = t
  CS[i + 1] = tag
  CN = CN + 1
end

-- core::Core::dispatch (after start_dispatch). Returns entry, tenant, user; nil when nothing is
-- eligible; false after healing an inconsistency (cannot happen while the invariant holds; the
-- caller tries again).
local function dispatch()
  if CH > CN then return nil end
  local t, tstart = CT[CH], CS[CH]
  CH = CH + 1
  local g = G or gstate()
  g.v = tstart; g.dirty = true
  local ts = tstate(t)
  local u, ustart = ts.iu, ts.it
  if u then
    ts.iu = false; ts.it = 0
  else
    local r2 = rcall('ZPOPMIN', k_users(ts.t))
    if #r2 == 0 then
      ts.c = 0
      set_root(ts, -1)
      settle_tenant(ts)
      return false
    end
    u, ustart = r2[1], tonum(r2[2])
  end
  local us = ustate(t, u)
  set_root(ts, -1)
  ts.c = ts.c - 1
  local entry = pop_entry(us)
  if not entry then
    settle_tenant(ts)
    return false
  end
  ts.v = ustart
  ts.n = ts.n + 1
  ts.f = tstart + tag_inc(1, tweight(ts))
  if ts.f > g.fm then g.fm = ts.f end
  g.n = g.n + 1
  us.h = us.h + 1
  us.f = ustart + tag_inc(1, uweight(us))
  if us.f > ts.fm then ts.fm = us.f end
  us.dirty = true
  settle(us, ts, us.r, false)
  return entry, t, u
end

local function release_inflight(ts)
  local g = G or gstate()
  ts.n = ts.n - 1; ts.dirty = true
  g.n = g.n - 1; g.dirty = true
end

-- Dead-letters a job that held a user slot (core::Core::bury).
local function bury(id, t, u, err, entry, us)
  rcall('PERSIST', k_job(id))
  rcall('ZADD', K_DEAD, NOW, id)
  rcall('HSET', K_XJ, id, t .. '\n' .. u .. '\n' .. err .. '\n' .. entry)
  us.h = us.h - 1; us.dirty = true
end

-- The batch key of a token's sequence number (the part before the dot), or nil if it is none.
local function batch_key(seqs)
  local seq = tonum(seqs)
  if not seq then return nil end
  return pad(seq)
end

-- Parses a token 'seq.index' into the batch key and the field of `id` in it.
local function lease_slot(id, token)
  local dot = sfind(token, '.', 1, true)
  if not dot then return nil end
  local sk = batch_key(ssub(token, 1, dot - 1))
  if not sk then return nil end
  return sk, id .. '\n' .. ssub(token, dot + 1)
end

-- Ends the lease of `id` held by `token`; returns its batch key and record, or nil if stale.
local function end_lease(id, token)
  local sk, field = lease_slot(id, token)
  if not sk then return nil end
  local kb = k_batch(sk)
  local rec = rcall('HGET', kb, field)
  if not rec then return nil end
  rcall('HDEL', kb, field)
  if rcall('EXISTS', kb) == 0 then rcall('ZREM', K_INFL, sk) end
  return rec
end

-- core::Core::ack for one job whose lease the caller checked and removed.
local function acked(ts, us, cost)
  local ready = us.r
  local was_in = u_in(us, ready)
  release_inflight(ts)
  us.h = us.h - 1; us.dirty = true
  if cost then
    local g = G or gstate()
    local uw, tw = uweight(us), tweight(ts)
    local du = tag_inc(cost, uw) - tag_inc(1, uw)
    local dt = tag_inc(cost, tw) - tag_inc(1, tw)
    us.f = max(us.f + du, ts.v)
    if us.f > ts.fm then ts.fm = us.f end
    if was_in then
      if ts.iu == us.u then
        ts.it = max(ts.it + du, ts.v)
      else
        local s = tonum(rcall('ZSCORE', k_users(ts.t), us.u))
        rcall('ZADD', k_users(ts.t), max(s + du, ts.v), us.u)
      end
    end
    ts.f = max(ts.f + dt, g.v)
    if ts.f > g.fm then g.fm = ts.f end
    if ts.s >= 0 then set_root(ts, max(ts.s + dt, g.v)) end
  end
  settle(us, ts, ready, was_in)
end

-- A reclaimed or released job goes back to its user: to the front (it was first) or the back.
local function requeue(t, u, entry, front, release_slot)
  local us, ts = ustate(t, u), tstate(t)
  local ready = us.r
  local was_in = u_in(us, ready)
  if release_slot then us.h = us.h - 1; us.dirty = true end
  push_entry(us, entry, front)
  settle(us, ts, ready + 1, was_in)
end

-- The earliest score in a zset, or a time far away.
local function first_score(key)
  local r = rcall('ZRANGE', key, 0, 0, 'WITHSCORES')
  if #r == 0 then return NEVER end
  return tonum(r[2])
end

-- core::Core::reclaim_expired. Returns the number of jobs taken back. Skipped (no call) while
-- the global state says no lease can have expired yet.
local function reclaim_expired()
  local g = G or gstate()
  if NOW < g.ik then return 0 end
  local expired = rcall('ZRANGEBYSCORE', K_INFL, '-inf', NOW, 'LIMIT', 0, BATCH)
  local n = 0
  for _, sk in ipairs_(expired) do
    rcall('ZREM', K_INFL, sk)
    local kb = k_batch(sk)
    local all = rcall('HGETALL', kb)
    rcall('DEL', kb)
    local order = {}
    for i = 1, #all, 2 do order[#order + 1] = i end
    tsort(order, function(a, b) return bytes_lt(all[a], all[b]) end)
    for _, i in ipairs_(order) do
      local rec = split(all[i + 1], 4)  -- t, u, id, attempts, payload
      local t, u, id = rec[1], rec[2], rec[3]
      local attempts = tonum(rec[4]) + 1
      local entry = id .. '\n' .. attempts .. '\n' .. rec[5]
      n = n + 1
      local us, ts = ustate(t, u), tstate(t)
      release_inflight(ts)
      if attempts >= MAX_ATTEMPTS then
        local ready = us.r
        local was_in = u_in(us, ready)
        bury(id, t, u, 'lease expired', entry, us)
        settle(us, ts, ready, was_in)
      else
        requeue(t, u, entry, true, true)
      end
    end
  end
  g.ik = first_score(K_INFL); g.dirty = true
  return n
end

-- core::Core::release_due. Returns the number of jobs released. Skipped (no call) while the
-- global state says nothing delayed is due yet.
local function release_due()
  local g = G or gstate()
  if NOW < g.dk then return 0 end
  local due = rcall('ZRANGEBYSCORE', K_DELAY, '-inf', NOW, 'LIMIT', 0, BATCH)
  for _, id in ipairs_(due) do
    rcall('ZREM', K_DELAY, id)
    local raw = rcall('HGET', K_DJ, id)
    if raw then
      rcall('HDEL', K_DJ, id)
      local rec = split(raw, 3)  -- kind, t, u, entry
      local retry = rec[1] == 'R'
      requeue(rec[2], rec[3], rec[4], retry, retry)
    end
  end
  g.dk = first_score(K_DELAY); g.dirty = true
  return #due
end

-- The earliest delayed due time or lease deadline, or -1.
local function next_wakeup()
  local best = -1
  for _, k in ipairs_({ K_DELAY, K_INFL }) do
    local r = rcall('ZRANGE', k, 0, 0, 'WITHSCORES')
    if #r > 0 then
      local at = tonum(r[2])
      if best < 0 or at < best then best = at end
    end
  end
  return best
end

-- When a worker that found nothing should look again: no delayed job is due and no lease expires
-- before the global state's bounds (right after reclaim_expired and release_due, which refresh
-- any bound already passed), so the earlier bound is soon enough, at worst early. -1: neither.
local function next_look()
  local g = G or gstate()
  local at = g.dk
  if g.ik < at then at = g.ik end
  if at >= NEVER then return -1 end
  return at
end
