-- Adds one AI request to a user's per-day and per-month usage, indexes both, and keeps its
-- per-request record.
-- KEYS[1] day hash, KEYS[2] month hash, KEYS[3] days index, KEYS[4] months index,
-- KEYS[5] records sorted set
-- ARGV input_tokens, output_tokens, cost_usd, day, month, now_s, day_ttl_s, month_ttl_s, at_ms,
-- record member
local now = tonumber(ARGV[6])
for i = 1, 2 do
  redis.call('HINCRBY', KEYS[i], 'requests', 1)
  redis.call('HINCRBY', KEYS[i], 'input_tokens', ARGV[1])
  redis.call('HINCRBY', KEYS[i], 'output_tokens', ARGV[2])
  redis.call('HINCRBYFLOAT', KEYS[i], 'cost_usd', ARGV[3])
end
redis.call('EXPIRE', KEYS[1], ARGV[7])
redis.call('EXPIRE', KEYS[2], ARGV[8])
-- Index entries are scored by when their key expires (plus a month of slack, so shared indexes
-- refreshed later by other users are still found by forget_user); expired ones are dropped.
local slack = 30 * 86400
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. now)
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[7]) + slack, ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. now)
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[8]) + slack, ARGV[5])
redis.call('ZADD', KEYS[5], ARGV[9], ARGV[10])
return 0
