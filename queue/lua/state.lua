-- switchboard-queue: the scheduler state of src/core in Lua. With leases.lua and the entry files
-- (each wrapped as one registered function) it forms a Redis Functions library, loaded once with
-- FUNCTION LOAD: its helpers are instantiated once, not on every call as an EVALSHA script's would
-- be (18 us of Redis time per call, measured). Keep step for step with src/core: the model-based
-- test holds both to the same dispatch order.
--
-- KEYS[1] is the partition prefix '{sb:<ns>:<p>}'; every key extends it, so one partition lives in
-- one Redis Cluster hash slot. ARGV[1..5] are the same for every function: now (ms), default user
-- cap, default tenant cap (0 = unlimited), max attempts, tombstone ttl (ms). Function arguments
-- start at ARGV[6].
--
-- Cost matters here (every redis.call is ~0.4-1.5 us of Redis's one thread): flow state lives in
-- one hash, read with one HMGET and written with one HSET per call; counters in the state spare
-- ZCARD/ZSCORE calls; numbers go to Redis as Lua numbers, which Redis formats exactly.

local BATCH = 100        -- core::MAINTENANCE_BATCH
local SCALE = 1048576    -- core::TAG_SCALE

-- Set by begin() at the start of every call (library locals outlive calls: nothing else may
-- carry over from one call to the next).
local P, NOW, DEF_UCAP, DEF_TCAP, MAX_ATTEMPTS, TTL
local K_S            -- hash: '' global, '\1'..tenant, '\2'..tenant..'\n'..user -> msgpack
local K_ROOT         -- zset tenant -> start tag
local K_INFL         -- zset lease batch (seq, 20 digits) -> deadline
local K_DELAY        -- zset id -> due
local K_DJ           -- hash id -> kind ('R' retry | 'N' not_before)..'\n'..t..'\n'..u..'\n'..entry
local K_DEAD         -- zset id -> time
local K_XJ           -- hash id -> t..'\n'..u..'\n'..error..'\n'..entry
local K_WAKE         -- list: a token wakes one blocked worker
-- A job's entry is id..'\n'..attempts..'\n'..payload: it rides in the user's ready list, in its
-- lease batch (t..'\n'..u..'\n'..entry, under field id..'\n'..index), or in the hashes above.
local ST             -- state cache of this call
local ENTERED_ROOT   -- did this call put a tenant in the root?
local ROOTQ          -- tenants whose root membership or tag this call changed (written by flush)
local CAND           -- during a dispatch loop: the root's smallest entries, {tenant, tag} each

local add_candidate  -- defined in leases.lua

local function begin(keys, args)
  -- Calls allocate little that outlives them; collect less eagerly than Lua's default 200%.
  collectgarbage('setpause', 400)
  P = keys[1]
  NOW = tonumber(args[1])
  DEF_UCAP = tonumber(args[2])
  DEF_TCAP = tonumber(args[3])
  MAX_ATTEMPTS = tonumber(args[4])
  TTL = tonumber(args[5])
  K_S = P .. ':S'
  K_ROOT = P .. ':root'
  K_INFL = P .. ':inflight'
  K_DELAY = P .. ':delayed'
  K_DJ = P .. ':D'
  K_DEAD = P .. ':dead'
  K_XJ = P .. ':X'
  K_WAKE = P .. ':wake'
  ST = {}
  ENTERED_ROOT = false
  ROOTQ = {}
  CAND = nil
end

local function k_users(t) return P .. ':t:' .. t end                              -- zset user -> start tag
local function k_list(t, u) return P .. ':u:' .. #t .. ':' .. t .. ':' .. u end  -- ready entries
local function k_job(id) return P .. ':j:' .. id end     -- exists while the id is known
local function k_batch(sk) return P .. ':L:' .. sk end   -- hash: one lease batch
local function pad(seq) return string.format('%020d', seq) end

local function max(a, b) if a > b then return a end return b end

-- Same as core::tag_increment.
local function tag_inc(cost, w)
  if cost <= 0 then return 0 end
  local inc = math.floor(cost * SCALE / w)
  if inc < 1 then return 1 end
  return inc
end

---------------------------------------------------------------------------------------------------
-- State: decoded on first use, written back once by flush(). Weights 0 and caps -1 mean default.
-- global {v, fm, n, seq, r (tenants in root), dk, ik (no delayed job is due, no lease expires,
-- before these times: 0 means look)}; tenant {v, fm, f, n, c (users in set), s (root tag or -1), k (user
-- states), w, cap}; user {f, h (slots held), w, cap}.

local function decode(field, raw)
  local b = string.byte(field, 1)
  local s
  if b == nil then
    s = { v = 0, fm = 0, n = 0, seq = 0, r = 0, dk = 0, ik = 0 }
    if raw then
      s.v, s.fm, s.n, s.seq, s.r, s.dk, s.ik = cmsgpack.unpack(raw)
      s.dk = s.dk or 0; s.ik = s.ik or 0
    end
  elseif b == 1 then
    s = { v = 0, fm = 0, f = 0, n = 0, c = 0, s = -1, k = 0, w = 0, cap = -1 }
    if raw then s.v, s.fm, s.f, s.n, s.c, s.s, s.k, s.w, s.cap = cmsgpack.unpack(raw) end
  else
    s = { f = 0, h = 0, w = 0, cap = -1, new = true }
    if raw then s.f, s.h, s.w, s.cap = cmsgpack.unpack(raw); s.new = false end
  end
  s.field = field
  return s
end

local function f_t(t) return '\1' .. t end
local function f_u(t, u) return '\2' .. t .. '\n' .. u end

-- Loads every listed field not yet cached, in one call.
local function load(fields)
  local need, seen = {}, {}
  for _, f in ipairs(fields) do
    if ST[f] == nil and not seen[f] then need[#need + 1] = f; seen[f] = true end
  end
  if #need == 0 then return end
  local vals = redis.call('HMGET', K_S, unpack(need))
  for i, f in ipairs(need) do ST[f] = decode(f, vals[i]) end
end

local function get(field)
  local s = ST[field]
  if s then return s end
  s = decode(field, redis.call('HGET', K_S, field))
  ST[field] = s
  return s
end

local function gstate() return get('') end
local function tstate(t) return get(f_t(t)) end
local function ustate(t, u)
  local s = get(f_u(t, u))
  s.t = t; s.u = u
  return s
end

-- Writes this call's root changes: one ZADD and one ZREM for all tenants.
local function flush_root()
  local add, rem, seen = {}, {}, {}
  for _, t in ipairs(ROOTQ) do
    if not seen[t] then
      seen[t] = true
      local ts = ST[f_t(t)]
      if ts.s >= 0 then add[#add + 1] = ts.s; add[#add + 1] = t else rem[#rem + 1] = t end
    end
  end
  ROOTQ = {}
  if #add > 0 then redis.call('ZADD', K_ROOT, unpack(add)) end
  if #rem > 0 then redis.call('ZREM', K_ROOT, unpack(rem)) end
end

local function flush()
  flush_root()
  -- A user state written for the first time counts in its tenant's k. (Collected first: loading
  -- a tenant state inside pairs() would add to the table being traversed.)
  local fresh = {}
  for _, s in pairs(ST) do
    if s.dirty and s.new and not s.gone then fresh[#fresh + 1] = s end
  end
  for _, s in ipairs(fresh) do
    local ts = tstate(s.t)
    ts.k = ts.k + 1; ts.dirty = true
    s.new = false
  end
  local args = {}
  for f, s in pairs(ST) do
    if s.dirty and not s.gone then
      local b = string.byte(f, 1)
      local v
      if b == nil then v = cmsgpack.pack(s.v, s.fm, s.n, s.seq, s.r, s.dk, s.ik)
      elseif b == 1 then v = cmsgpack.pack(s.v, s.fm, s.f, s.n, s.c, s.s, s.k, s.w, s.cap)
      else v = cmsgpack.pack(s.f, s.h, s.w, s.cap) end
      args[#args + 1] = f; args[#args + 1] = v
    end
  end
  if #args > 0 then redis.call('HSET', K_S, unpack(args)) end
end

local function uweight(s) if s.w <= 0 then return 1 end return s.w end
local function tweight(s) if s.w <= 0 then return 1 end return s.w end
local function ucap(s) if s.cap < 0 then return DEF_UCAP end return s.cap end
local function tcap(s) if s.cap < 0 then return DEF_TCAP end return s.cap end

---------------------------------------------------------------------------------------------------
-- Eligibility (core::refresh_user / refresh_tenant). Invariant: a user is in its tenant's set iff
-- it has ready jobs and holds fewer slots than its cap (then it counts in ts.c); a tenant is in the
-- root (ts.s >= 0) iff ts.c > 0 and it has fewer leases than its cap.

-- Was the user in its tenant's set, judging by the invariant, before a change?
local function u_in(us, ready) return ready > 0 and us.h < ucap(us) end

local function settle_user(us, ts, ready, was_in)
  local elig = ready > 0 and us.h < ucap(us)
  if elig and not was_in then
    redis.call('ZADD', k_users(us.t), max(ts.v, us.f), us.u)
    ts.c = ts.c + 1; ts.dirty = true
  elseif was_in and not elig then
    redis.call('ZREM', k_users(us.t), us.u)
    ts.c = ts.c - 1; ts.dirty = true
  end
end

-- Puts the tenant in or out of the root (written by flush_root; during a dispatch loop a tenant
-- that re-enters joins the candidates too).
local function set_root(t, ts, tag)
  local G = gstate()
  if tag >= 0 and ts.s < 0 then
    G.r = G.r + 1
    ENTERED_ROOT = true
    if CAND then add_candidate(t, tag) end
  elseif tag < 0 and ts.s >= 0 then
    G.r = G.r - 1
  end
  G.dirty = true
  ts.s = tag; ts.dirty = true
  ROOTQ[#ROOTQ + 1] = t
end

local function settle_tenant(t, ts)
  local G = gstate()
  if ts.c == 0 and ts.n == 0 and ts.fm > ts.v then ts.v = ts.fm; ts.dirty = true end
  local cap = tcap(ts)
  local elig = ts.c > 0 and (cap == 0 or ts.n < cap)
  if elig and ts.s < 0 then
    set_root(t, ts, max(G.v, ts.f))
  elseif not elig and ts.s >= 0 then
    set_root(t, ts, -1)
  end
  if G.n == 0 and G.r == 0 and G.fm > G.v then G.v = G.fm; G.dirty = true end
end

-- Both settles after a change to one user.
local function settle(us, ts, ready, was_in)
  settle_user(us, ts, ready, was_in)
  settle_tenant(us.t, ts)
end

-- Something delayed (`at` = due) or leased (`at` = deadline) was added: look again by then.
local function note_delayed(at)
  local G = gstate()
  if at < G.dk then G.dk = at; G.dirty = true end
end
local function note_leased(at)
  local G = gstate()
  if at < G.ik then G.ik = at; G.dirty = true end
end

local function wake()
  if redis.call('LLEN', K_WAKE) == 0 then redis.call('RPUSH', K_WAKE, '1') end
end

local function wake_if_ready()
  if gstate().r > 0 then wake() end
end

-- Splits 'a\nb\n...' into its first n fields and the rest (the rest may hold newlines).
local function split(s, n)
  local out, pos = {}, 1
  for i = 1, n do
    local nl = string.find(s, '\n', pos, true)
    out[i] = string.sub(s, pos, nl - 1)
    pos = nl + 1
  end
  out[n + 1] = string.sub(s, pos)
  return out
end

-- An entry with its attempt count changed.
local function with_attempts(entry, attempts)
  local p = split(entry, 2)
  return p[1] .. '\n' .. attempts .. '\n' .. p[3]
end
