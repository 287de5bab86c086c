-- KEYS: job, history. ARGV: now, attempt, then (if a next job is wanted) worker, token,
-- lease_ms, guards. Runs inside the commit's MULTI, after the result's writes, while the
-- job record is WATCHed (so it is still this worker's): the job is done, and the
-- worker's next job is claimed in the same transaction (false if none).
local id = redis.call('HGET', KEYS[1], 'id')
redis.call('ZREM', '${running}', id)
redis.call('HDEL', KEYS[1], 'token', 'lease_expires', 'worker')
redis.call('HSET', KEYS[1], 'state', 'done', 'updated_at', NOW, 'done_at', NOW)
redis.call('ZADD', '${done}', NOW, id)
redis.call('ZREMRANGEBYRANK', '${done}', 0, -${done_keep} - 1)
redis.call('INCR', '${completed}')
note(id, KEYS[2], 'done', {attempt=tonumber(ARGV[2])})
if not ARGV[3] then return false end
return claim_best(NOW, ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6])
