-- GCRA on Redis TIME, so every process shares one limit (src/admission/gcra.rs is the reference).
-- KEYS[1]: the limit's key. ARGV[1]: emission ms (per / count), ARGV[2]: tolerance ms
-- (emission * (burst - 1)). Returns {1, 0} when allowed, {0, retry_in_ms} when limited.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local emission, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '')
if not tat or tat < now then tat = now end
local allow_at = tat - tolerance
if now < allow_at then return { 0, math.ceil(allow_at - now) } end
local new = tat + emission
redis.call('SET', KEYS[1], string.format('%.3f', new), 'PX', math.ceil(new - now) + 1)
return { 1, 0 }
