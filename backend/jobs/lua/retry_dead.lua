-- KEYS: job, history. ARGV: now. A dead job gets a fresh set of attempts.
if redis.call('HGET', KEYS[1], 'state') ~= 'dead' then return 0 end
local id = redis.call('HGET', KEYS[1], 'id')
unindex(id)
redis.call('HSET', KEYS[1], 'state', 'queued', 'attempts', 0, 'crashes', 0,
  'updated_at', NOW)
redis.call('ZADD', '${queued}', redis.call('HGET', KEYS[1], 'order'), id)
note(id, KEYS[2], 'retried', nil)
return 1
