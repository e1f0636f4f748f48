-- Registers a user on first sight or updates their names and last seen time.
-- KEYS[1] user record hash
-- ARGV tenant, user, display_name, has_username (0/1), username, at_ms, new_status
-- Returns the record as a flat field/value array.
local rec = KEYS[1]
local at = tonumber(ARGV[6])
if redis.call('EXISTS', rec) == 0 then
  redis.call('HSET', rec, 'tenant', ARGV[1], 'user', ARGV[2], 'name', ARGV[3],
    'first', ARGV[6], 'last', ARGV[6], 'status', ARGV[7])
  if ARGV[4] == '1' then
    redis.call('HSET', rec, 'username', ARGV[5])
  end
else
  local last = tonumber(redis.call('HGET', rec, 'last') or '0')
  -- Names and last seen follow the newest sighting; a late, older one changes nothing.
  if at >= last then
    redis.call('HSET', rec, 'name', ARGV[3], 'last', ARGV[6])
    if ARGV[4] == '1' then
      redis.call('HSET', rec, 'username', ARGV[5])
    else
      redis.call('HDEL', rec, 'username')
    end
  end
end
return redis.call('HGETALL', rec)
