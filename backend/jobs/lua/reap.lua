-- KEYS: job, history. ARGV: now, poison_limit, reason. A running job whose worker is
-- known to be gone (or, with remote workers, whose lease expired): back to the queue,
-- or dead once it has crashed its worker poison_limit times or used its attempts.
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return false end
local id = redis.call('HGET', KEYS[1], 'id')
local crashes = redis.call('HINCRBY', KEYS[1], 'crashes', 1)
local attempts = tonumber(redis.call('HGET', KEYS[1], 'attempts'))
local limit = tonumber(redis.call('HGET', KEYS[1], 'max_attempts'))
unindex(id)
redis.call('HDEL', KEYS[1], 'token', 'lease_expires', 'worker')
redis.call('HSET', KEYS[1], 'updated_at', NOW, 'last_error', ARGV[3],
  'last_failure', 'crash')
if crashes >= tonumber(ARGV[2]) or attempts >= limit then
  local why = crashes >= tonumber(ARGV[2]) and 'poison' or 'crash'
  redis.call('HSET', KEYS[1], 'state', 'dead', 'died_at', NOW, 'last_failure', why)
  redis.call('ZADD', '${dead}', NOW, id)
else
  -- Behind the other jobs of its class, so the next claim tries a different entry: a
  -- crash on one entry then tells a poison entry from a model that crashes on all.
  local order = tonumber(redis.call('HGET', KEYS[1], 'order')) + crashes * ${defer}
  redis.call('HSET', KEYS[1], 'state', 'queued')
  redis.call('ZADD', '${queued}', order, id)
end
note(id, KEYS[2], 'crashed', {attempt=attempts, crashes=crashes, reason=ARGV[3]})
return redis.call('HGET', KEYS[1], 'state')
