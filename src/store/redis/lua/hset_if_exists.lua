-- Sets one field of a hash only if the hash exists (a user's status, an outcome's sent flag).
-- KEYS[1] hash; ARGV field, value. Returns 1 if set, 0 if the hash does not exist.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
