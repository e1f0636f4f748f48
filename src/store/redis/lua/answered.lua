-- Moves a conversation's answered_through forward (never back).
-- KEYS[1] conversation meta hash, KEYS[2] the user's conversation index
-- ARGV seq, conversation field
local cur = tonumber(redis.call('HGET', KEYS[1], 'answered') or '0')
if tonumber(ARGV[1]) > cur then
  redis.call('HSET', KEYS[1], 'answered', ARGV[1])
end
redis.call('HSET', KEYS[2], ARGV[2], '1')
return 0
