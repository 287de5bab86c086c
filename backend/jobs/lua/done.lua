-- KEYS: job, history. ARGV: now, attempt, then (if next jobs are wanted) worker,
-- lease_ms, guards and one token per job wanted. Runs inside the commit's MULTI, after
-- the result's writes, while the job record is WATCHed (so it is still this worker's):
-- the job is done, and the worker's next jobs are claimed in the same transaction
-- (a list of claims, as many as tokens were given and jobs are queued; false if none).
local id = redis.call('HGET', KEYS[1], 'id')
redis.call('ZREM', '${running}', id)
redis.call('HDEL', KEYS[1], 'token', 'lease_expires', 'worker')
redis.call('HSET', KEYS[1], 'state', 'done', 'updated_at', NOW, 'done_at', NOW)
redis.call('ZADD', '${done}', NOW, id)
redis.call('ZREMRANGEBYRANK', '${done}', 0, -${done_keep} - 1)
redis.call('INCR', '${completed}')
note(id, KEYS[2], 'done', {attempt=tonumber(ARGV[2])})
local claims = {}
for i = 6, #ARGV do
  local claimed = claim_best(NOW, ARGV[3], ARGV[i], tonumber(ARGV[4]), ARGV[5])
  if not claimed then break end
  claims[#claims + 1] = claimed
end
if #claims == 0 then return false end
return claims
