-- Appends a message to a conversation and keeps only the last `keep`. A user message whose job id
-- was appended before (and is still within the kept messages) is not added again: its seq is
-- returned. (Answers carry their question's job id and are never deduplicated: the caller passes
-- the job id only for user messages.)
-- KEYS[1] conversation meta hash (`seq`, `answered`, and `j:<job id>` -> seq for kept messages),
-- KEYS[2] message list, KEYS[3] the user's conversation index.
-- ARGV message json (without seq), keep, conversation field, job id of a user message ('' else).
-- Returns the message's seq.
local job = ARGV[4]
if job ~= '' then
  local known = redis.call('HGET', KEYS[1], 'j:' .. job)
  if known then return tonumber(known) end
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local len = redis.call('RPUSH', KEYS[2], string.format('%d', seq) .. '|' .. ARGV[1])
local keep = tonumber(ARGV[2])
if len > keep then
  -- Forget the job ids of the messages about to be trimmed.
  for _, e in ipairs(redis.call('LRANGE', KEYS[2], 0, len - keep - 1)) do
    local bar = string.find(e, '|', 1, true)
    local ok, m = pcall(cjson.decode, string.sub(e, (bar or 0) + 1))
    if ok and type(m) == 'table' and m.role == 'user' and type(m.job_id) == 'string' then
      redis.call('HDEL', KEYS[1], 'j:' .. m.job_id)
    end
  end
  redis.call('LTRIM', KEYS[2], -keep, -1)
end
if job ~= '' then redis.call('HSET', KEYS[1], 'j:' .. job, seq) end
redis.call('HSET', KEYS[3], ARGV[3], '1')
return seq
