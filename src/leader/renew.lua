-- Renews a leader lease if this holder still has it.
-- KEYS[1] lease key; ARGV[1] holder id; ARGV[2] lease length in ms.
-- Returns 1 if renewed, 0 if the lease is gone or someone else holds it.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
