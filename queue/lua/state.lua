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
-- Cost matters here: Redis runs this on its one thread, and most of a job's Redis CPU is Lua, not
-- commands. Measured on the benchmark machine: a redis.call ~0.3 us plus the command, a table ~0.3
-- us (and as much again each time one outgrows its size), a number turned into a string ~0.5 us,
-- a global read two table lookups. So: globals are bound to locals, key names are built once per
-- prefix, state tables are built with every field they will ever get, small numbers come from a
-- table of strings, and flow state lives in one hash read with one HMGET and written with one HSET
-- per call (counters in it spare ZCARD/ZSCORE calls).

local BATCH = 100        -- core::MAINTENANCE_BATCH
local SCALE = 1048576    -- core::TAG_SCALE
local NEVER = 9007199254740992

-- Globals, bound on the first call (none is visible while a library loads).
local rcall, tonum, tostr, ssub, sfind, sbyte, sfmt, spack, sunpack, unpk
local ipairs_, pairs_, mfloor, mmin, tsort, smeta
local NUMS           -- NUMS[i] = tostring(i) for 0..255
local SMALL          -- SMALL[tostring(i)] = i for 0..255 (tonumber is strtod: ~1k instructions)

-- Set by begin() at the start of every call (library locals outlive calls: nothing else may
-- carry over from one call to the next, except key names, which depend on the prefix alone).
local P, NOW, DEF_UCAP, DEF_TCAP, MAX_ATTEMPTS, TTL, TTL_S
local KP             -- the prefix the key names below were built for
local K_S            -- hash: '' global, '\1'..tenant, '\2'..tenant..'\n'..user -> state
local K_ROOT         -- zset tenant -> start tag
local K_INFL         -- zset lease batch (seq, 20 digits) -> deadline
local K_DELAY        -- zset id -> due
local K_DJ           -- hash id -> kind ('R' retry | 'N' not_before)..'\n'..t..'\n'..u..'\n'..entry
local K_DEAD         -- zset id -> time
local K_XJ           -- hash id -> t..'\n'..u..'\n'..error..'\n'..entry
local K_WAKE         -- list: a token wakes one blocked worker
local K_T, K_U, K_J, K_L  -- prefixes of the per-tenant, per-user, per-job and per-batch keys
-- A job's entry is id..'\n'..attempts..'\n'..payload: it rides in its user's state (the oldest
-- ready job) or ready list (the others, in order), in its lease batch (t..'\n'..u..'\n'..entry,
-- under field id..'\n'..index), or in the hashes above.
local ST             -- state cache of this call: field -> state
local G              -- the global state, once loaded
local NEWU, NNEWU    -- user states this call created (they count in their tenant's k once written)
local ENTERED_ROOT   -- did this call put a tenant in the root?
local ROOTQ, NROOTQ  -- tenant states whose root membership or tag changed (written by flush_root)
local CAND           -- true during a dispatch loop (candidates live in leases.lua)

local add_candidate  -- defined in leases.lua

-- Scratch arrays, reused by every call so they do not grow from empty each time (a table that
-- outgrows its array is copied). Only entries up to a count kept by their user mean anything.
local NEED, NT, NU = {}, {}, {}  -- load_flows
local FLOWS, BATCH_KV, NAMES = {}, {}, {}  -- take and enqueue; take's lease batch; start_dispatch
local ADD, REM, ARGS, WRITTEN = {}, {}, {}, {}  -- flush_root; flush

-- Decoded states of earlier calls by field, each with the stored value it was decoded from or
-- written as (`raw`). One is reused when Redis still holds that value (strings are interned, so
-- the check is one comparison) and it is clean: the call that last loaded it reached flush() (one
-- that failed half-way may have changed it). Two generations bound the memory; both are dropped
-- when the prefix changes (the key names in a state depend on it). Values are weak: a garbage
-- collection empties them, so a library left loaded by an older deploy holds none for long. Decoding
-- was a quarter of the Lua work per job, and most loads find what this library wrote a moment ago.
local WEAK = { __mode = 'v' }
local CACHE, CACHE_OLD, CACHE_N  -- set when the prefix is first seen
local CACHE_MAX = 4096
-- The shared arguments of the last call, as given and as numbers: most calls repeat them (now is in
-- ms), and comparing an interned string is cheaper than parsing it.
local A_NOW, A_UCAP, A_TCAP, A_ATT, A_TTL

local function begin(keys, args)
  if not rcall then
    rcall, tonum, tostr = redis.call, tonumber, tostring
    ssub, sfind, sbyte, sfmt = string.sub, string.find, string.byte, string.format
    spack, sunpack, unpk = struct.pack, struct.unpack, unpack
    ipairs_, pairs_, mfloor, mmin, tsort = ipairs, pairs, math.floor, math.min, table.sort
    smeta = setmetatable
    NUMS, SMALL = {}, {}
    for i = 0, 255 do
      NUMS[i] = tostring(i)
      SMALL[NUMS[i]] = i
    end
    NEWU, ROOTQ = {}, {}
    -- Calls allocate little that outlives them; collect less eagerly than Lua's default 200%.
    collectgarbage('setpause', 400)
  end
  local p = keys[1]
  if p ~= KP then
    KP = p
    P = p
    CACHE, CACHE_OLD, CACHE_N = smeta({}, WEAK), smeta({}, WEAK), 0
    K_S = p .. ':S'
    K_ROOT = p .. ':root'
    K_INFL = p .. ':inflight'
    K_DELAY = p .. ':delayed'
    K_DJ = p .. ':D'
    K_DEAD = p .. ':dead'
    K_XJ = p .. ':X'
    K_WAKE = p .. ':wake'
    K_T = p .. ':t:'
    K_U = p .. ':u:'
    K_J = p .. ':j:'
    K_L = p .. ':L:'
  end
  if args[1] ~= A_NOW then A_NOW = args[1]; NOW = tonum(A_NOW) end
  if args[2] ~= A_UCAP then A_UCAP = args[2]; DEF_UCAP = tonum(A_UCAP) end
  if args[3] ~= A_TCAP then A_TCAP = args[3]; DEF_TCAP = tonum(A_TCAP) end
  if args[4] ~= A_ATT then A_ATT = args[4]; MAX_ATTEMPTS = tonum(A_ATT) end
  if args[5] ~= A_TTL then A_TTL = args[5]; TTL = tonum(A_TTL) end
  TTL_S = A_TTL
  ST = {}
  G = nil
  NNEWU = 0
  ENTERED_ROOT = false
  NROOTQ = 0
  CAND = nil
end

local function num(i) return NUMS[i] or tostr(i) end
local function int(s)
  local v = SMALL[s]
  if v then return v end
  return tonum(s)
end

local function k_users(t) return K_T .. t end                                  -- zset user -> start tag
local function k_list(t, u) return K_U .. num(#t) .. ':' .. t .. ':' .. u end  -- ready entries
local function k_job(id) return K_J .. id end       -- exists while the id is known
local function k_batch(sk) return K_L .. sk end     -- hash: one lease batch
local function pad(seq) return sfmt('%020d', seq) end

local function max(a, b) if a > b then return a end return b end

-- Same as core::tag_increment.
local function tag_inc(cost, w)
  if cost <= 0 then return 0 end
  local inc = mfloor(cost * SCALE / w)
  if inc < 1 then return 1 end
  return inc
end

---------------------------------------------------------------------------------------------------
-- State: decoded on first use, written back once by flush(). Weights 0 and caps -1 mean default.
-- global {v, fm, n, seq, r (tenants in root), dk, ik (no delayed job is due, no lease expires,
-- before these times: 0 means look)}; tenant {v, fm, f, n, c (eligible users), s (root tag or
-- -1), k (user states), w, cap, iu, it (the one eligible user and its start tag, while it is the
-- only one: false, 0 otherwise)}; user {f, h (slots held), w, cap, r (ready jobs), e (the oldest
-- ready job's entry; false when none)}. A user's other ready jobs are in its list, a tenant's
-- eligible users in its set unless one is inline: most users have one job and most tenants one
-- eligible user at a time, and then no list or set is created, read and deleted per job. Each
-- table is built with all the fields it will get (a table that grows is rebuilt). Stored as
-- little-endian doubles (struct: half the cost of msgpack's per-value strings) followed by the
-- state's one string, if any (iu, e; empty for false), appended with .. (struct copies strings
-- byte by byte).

-- A cached state still valid for `raw` (see CACHE), now in use by this call; or nil.
local function cached(f, raw)
  if not raw then return nil end
  local s = CACHE[f] or CACHE_OLD[f]
  if s and s.clean and s.raw == raw then
    s.clean = false
    return s
  end
  return nil
end

-- After flush: `s` is clean and matches what Redis holds under `f`.
local function remember(f, s)
  s.clean = true
  if CACHE[f] ~= s then
    if CACHE_N >= CACHE_MAX then
      CACHE_OLD, CACHE, CACHE_N = CACHE, smeta({}, WEAK), 0
    end
    CACHE[f] = s
    CACHE_N = CACHE_N + 1
  end
end

local function new_global(raw)
  local s = cached('', raw)
  if s then return s end
  local v, fm, n, seq, r, dk, ik = 0, 0, 0, 0, 0, 0, 0
  if raw then v, fm, n, seq, r, dk, ik = sunpack('<ddddddd', raw) end
  return { v = v, fm = fm, n = n, seq = seq, r = r, dk = dk, ik = ik, raw = raw, clean = false,
           dirty = false, gone = false }
end

local function new_tenant(field, t, raw)
  local st = cached(field, raw)
  if st then return st end
  local v, fm, f, n, c, s, k, w, cap, it, iu = 0, 0, 0, 0, 0, -1, 0, 0, -1, 0, false
  if raw then
    local pos
    v, fm, f, n, c, s, k, w, cap, it, pos = sunpack('<dddddddddd', raw)
    iu = ssub(raw, pos)
    if iu == '' then iu = false end
  end
  return { v = v, fm = fm, f = f, n = n, c = c, s = s, k = k, w = w, cap = cap, iu = iu, it = it,
           t = t, rq = false, raw = raw, clean = false, dirty = false, gone = false }
end

local function new_user(field, t, u, raw)
  if raw then
    local st = cached(field, raw)
    if st then return st end
    local f, h, w, cap, r, pos = sunpack('<ddddd', raw)
    local e = ssub(raw, pos)
    if e == '' then e = false end
    return { f = f, h = h, w = w, cap = cap, r = r, e = e, t = t, u = u, kl = false, new = false,
             raw = raw, clean = false, dirty = false, gone = false }
  end
  local s = { f = 0, h = 0, w = 0, cap = -1, r = 0, e = false, t = t, u = u, kl = false, new = true,
              raw = false, clean = false, dirty = false, gone = false }
  NNEWU = NNEWU + 1
  NEWU[NNEWU] = s
  return s
end

local function f_t(t) return '\1' .. t end
local function f_u(t, u) return '\2' .. t .. '\n' .. u end

local function gstate()
  if not G then
    G = new_global(rcall('HGET', K_S, ''))
    ST[''] = G
  end
  return G
end

local function tstate(t)
  local field = '\1' .. t
  local s = ST[field]
  if not s then
    s = new_tenant(field, t, rcall('HGET', K_S, field))
    ST[field] = s
  end
  return s
end

local function ustate(t, u)
  local field = '\2' .. t .. '\n' .. u
  local s = ST[field]
  if not s then
    s = new_user(field, t, u, rcall('HGET', K_S, field))
    ST[field] = s
  end
  return s
end

-- The user's ready list key, built once per call.
local function klist(us)
  local k = us.kl
  if not k then
    k = k_list(us.t, us.u)
    us.kl = k
  end
  return k
end

-- Loads, in one HMGET, the global state and every tenant and user state not cached yet. `tu`
-- holds n names: tenant, user, tenant, user, ... (a false user: the tenant only). With `out`,
-- out[i] becomes the state of name i.
local function load_flows(tu, n, out)
  local need, nt, nu, m = NEED, NT, NU, 0
  local with_g = not G
  if with_g then m = 1; need[1] = '' end
  for i = 1, n, 2 do
    local t, u = tu[i], tu[i + 1]
    local ft = '\1' .. t
    if ST[ft] == nil then
      m = m + 1; need[m] = ft; nt[m] = t; nu[m] = false
      ST[ft] = false
    end
    if out then out[i] = ft end
    if u then
      local fu = '\2' .. t .. '\n' .. u
      if ST[fu] == nil then
        m = m + 1; need[m] = fu; nt[m] = t; nu[m] = u
        ST[fu] = false
      end
      if out then out[i + 1] = fu end
    end
  end
  if m > 0 then
    local vals = rcall('HMGET', K_S, unpk(need, 1, m))
    local first = 1
    if with_g then
      G = new_global(vals[1])
      ST[''] = G
      first = 2
    end
    for i = first, m do
      local u = nu[i]
      if u then
        ST[need[i]] = new_user(need[i], nt[i], u, vals[i])
      else
        ST[need[i]] = new_tenant(need[i], nt[i], vals[i])
      end
    end
  end
  if out then
    for i = 1, n do
      local f = out[i]
      if f then out[i] = ST[f] end
    end
  end
end

-- Writes this call's root changes: one ZADD and one ZREM for all tenants.
local function flush_root()
  local nq = NROOTQ
  if nq == 0 then return end
  local add, rem, na, nr = ADD, REM, 0, 0
  for i = 1, nq do
    local ts = ROOTQ[i]
    if ts.rq then
      ts.rq = false
      if ts.s >= 0 then
        add[na + 1] = ts.s; add[na + 2] = ts.t; na = na + 2
      else
        nr = nr + 1; rem[nr] = ts.t
      end
    end
  end
  NROOTQ = 0
  if na > 0 then rcall('ZADD', K_ROOT, unpk(add, 1, na)) end
  if nr > 0 then rcall('ZREM', K_ROOT, unpk(rem, 1, nr)) end
end

local function flush()
  flush_root()
  -- A user state written for the first time counts in its tenant's k.
  for i = 1, NNEWU do
    local s = NEWU[i]
    if s.dirty and s.new and not s.gone then
      local ts = tstate(s.t)
      ts.k = ts.k + 1; ts.dirty = true
      s.new = false
    end
  end
  NNEWU = 0
  local args, n, written, nw = ARGS, 0, WRITTEN, 0
  for f, s in pairs_(ST) do
    if not s then
      -- (a placeholder: cannot be left after load_flows)
    elseif s.gone then
      CACHE[f] = nil
      CACHE_OLD[f] = nil
    elseif not s.dirty then
      if s.raw then remember(f, s) end
    else
      local v
      if s == G then v = spack('<ddddddd', s.v, s.fm, s.n, s.seq, s.r, s.dk, s.ik)
      elseif s.u then v = spack('<ddddd', s.f, s.h, s.w, s.cap, s.r) .. (s.e or '')
      else
        v = spack('<dddddddddd', s.v, s.fm, s.f, s.n, s.c, s.s, s.k, s.w, s.cap, s.it) .. (s.iu or '')
      end
      s.dirty = false
      s.raw = v
      args[n + 1] = f; args[n + 2] = v; n = n + 2
      nw = nw + 1; written[nw] = s
    end
  end
  if n > 0 then rcall('HSET', K_S, unpk(args, 1, n)) end
  -- Written (a failed HSET would have ended the call, leaving these unclean): reusable.
  for i = 1, nw do remember(args[2 * i - 1], written[i]) end
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

-- A user joining an empty set stays inline in the tenant state; a second one moves it to the set.
local function settle_user(us, ts, ready, was_in)
  local elig = ready > 0 and us.h < ucap(us)
  if elig and not was_in then
    local tag = max(ts.v, us.f)
    if ts.c == 0 then
      ts.iu = us.u; ts.it = tag
    elseif ts.iu then
      rcall('ZADD', k_users(ts.t), ts.it, ts.iu, tag, us.u)
      ts.iu = false; ts.it = 0
    else
      rcall('ZADD', k_users(ts.t), tag, us.u)
    end
    ts.c = ts.c + 1; ts.dirty = true
  elseif was_in and not elig then
    if ts.iu == us.u then
      ts.iu = false; ts.it = 0
    else
      rcall('ZREM', k_users(ts.t), us.u)
    end
    ts.c = ts.c - 1; ts.dirty = true
  end
end

-- Adds a ready entry to the user: at the front (a retry or reclaimed job: it was first) or the back.
local function push_entry(us, entry, front)
  local r = us.r
  if r == 0 then
    us.e = entry
  elseif front then
    rcall('LPUSH', klist(us), us.e)
    us.e = entry
  else
    rcall('RPUSH', klist(us), entry)
  end
  us.r = r + 1; us.dirty = true
end

-- Takes the user's oldest ready entry (nil if none).
local function pop_entry(us)
  local e = us.e
  if not e then return nil end
  local r = us.r - 1
  if r > 0 then us.e = rcall('LPOP', klist(us)) or false else us.e = false end
  us.r = r; us.dirty = true
  return e
end

-- Puts the tenant in or out of the root (written by flush_root; during a dispatch loop a tenant
-- that re-enters joins the candidates too).
local function set_root(ts, tag)
  local g = G or gstate()
  if tag >= 0 and ts.s < 0 then
    g.r = g.r + 1
    ENTERED_ROOT = true
    if CAND then add_candidate(ts.t, tag) end
  elseif tag < 0 and ts.s >= 0 then
    g.r = g.r - 1
  end
  g.dirty = true
  ts.s = tag; ts.dirty = true
  if not ts.rq then
    ts.rq = true
    NROOTQ = NROOTQ + 1
    ROOTQ[NROOTQ] = ts
  end
end

local function settle_tenant(ts)
  local g = G or gstate()
  if ts.c == 0 and ts.n == 0 and ts.fm > ts.v then ts.v = ts.fm; ts.dirty = true end
  local cap = tcap(ts)
  local elig = ts.c > 0 and (cap == 0 or ts.n < cap)
  if elig and ts.s < 0 then
    set_root(ts, max(g.v, ts.f))
  elseif not elig and ts.s >= 0 then
    set_root(ts, -1)
  end
  if g.n == 0 and g.r == 0 and g.fm > g.v then g.v = g.fm; g.dirty = true end
end

-- Both settles after a change to one user.
local function settle(us, ts, ready, was_in)
  settle_user(us, ts, ready, was_in)
  settle_tenant(ts)
end

-- Something delayed (`at` = due) or leased (`at` = deadline) was added: look again by then.
local function note_delayed(at)
  local g = G or gstate()
  if at < g.dk then g.dk = at; g.dirty = true end
end
local function note_leased(at)
  local g = G or gstate()
  if at < g.ik then g.ik = at; g.dirty = true end
end

local function wake()
  if rcall('LLEN', K_WAKE) == 0 then rcall('RPUSH', K_WAKE, '1') end
end

local function wake_if_ready()
  if (G or gstate()).r > 0 then wake() end
end

-- Splits 'a\nb\n...' into its first n fields and the rest (the rest may hold newlines).
local function split(s, n)
  local out, pos = {}, 1
  for i = 1, n do
    local nl = sfind(s, '\n', pos, true)
    out[i] = ssub(s, pos, nl - 1)
    pos = nl + 1
  end
  out[n + 1] = ssub(s, pos)
  return out
end
