-- KEYS: job, history. ARGV: now, token, reason, charge ('1' keeps the attempt).
-- The worker gives its job back (stopped on purpose, or the extractor is unavailable).
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[2] then return 0 end
local id = redis.call('HGET', KEYS[1], 'id')
if ARGV[4] ~= '1' then redis.call('HINCRBY', KEYS[1], 'attempts', -1) end
unindex(id)
redis.call('HDEL', KEYS[1], 'token', 'lease_expires', 'worker')
redis.call('HSET', KEYS[1], 'state', 'queued', 'updated_at', NOW)
redis.call('ZADD', '${queued}', redis.call('HGET', KEYS[1], 'order'), id)
note(id, KEYS[2], 'released', {reason=ARGV[3]})
return 1
