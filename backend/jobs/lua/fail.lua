-- KEYS: job, history. ARGV: now, token, kind, error, traceback, retry delay (ms).
-- A failed attempt: retry later, or dead after the last attempt.
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return false end
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[2] then return false end
local id = redis.call('HGET', KEYS[1], 'id')
local attempts = tonumber(redis.call('HGET', KEYS[1], 'attempts'))
local limit = tonumber(redis.call('HGET', KEYS[1], 'max_attempts'))
unindex(id)
redis.call('HDEL', KEYS[1], 'token', 'lease_expires', 'worker')
redis.call('HSET', KEYS[1], 'last_error', ARGV[4], 'last_traceback', ARGV[5],
  'last_failure', ARGV[3], 'updated_at', NOW)
if attempts >= limit then
  redis.call('HSET', KEYS[1], 'state', 'dead', 'died_at', NOW)
  redis.call('ZADD', '${dead}', NOW, id)
else
  local retry_at = NOW + tonumber(ARGV[6])
  redis.call('HSET', KEYS[1], 'state', 'retry_wait', 'run_after', retry_at)
  redis.call('ZADD', '${retry}', retry_at, id)
end
note(id, KEYS[2], ARGV[3], {attempt=attempts, error=ARGV[4]})
return redis.call('HGET', KEYS[1], 'state')
