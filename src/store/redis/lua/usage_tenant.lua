-- Adds one AI request to a tenant's per-day and per-month usage, notes the user in the day's
-- set of users with usage, and keeps its per-request record.
-- KEYS[1] day hash, KEYS[2] month hash, KEYS[3] the day's user set, KEYS[4] records sorted set
-- ARGV input_tokens, output_tokens, cost_usd, user, day_ttl_s, month_ttl_s, at_ms, record member
for i = 1, 2 do
  redis.call('HINCRBY', KEYS[i], 'requests', 1)
  redis.call('HINCRBY', KEYS[i], 'input_tokens', ARGV[1])
  redis.call('HINCRBY', KEYS[i], 'output_tokens', ARGV[2])
  redis.call('HINCRBYFLOAT', KEYS[i], 'cost_usd', ARGV[3])
end
redis.call('SADD', KEYS[3], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[6])
redis.call('EXPIRE', KEYS[3], ARGV[5])
redis.call('ZADD', KEYS[4], ARGV[7], ARGV[8])
return 0
