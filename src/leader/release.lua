-- Gives up a leader lease if this holder has it (another holder's lease is left alone).
-- KEYS[1] lease key; ARGV[1] holder id. Returns 1 if released.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
