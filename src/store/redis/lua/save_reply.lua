-- Saves a job's reply unless one is saved already (the first reply wins, so every re-lease
-- delivers the same text).
-- KEYS[1] outcome hash; ARGV reply, at_ms, ttl_s. Returns 1 if saved, 0 if one existed.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'reply', ARGV[1], 'sent', '0', 'at', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
