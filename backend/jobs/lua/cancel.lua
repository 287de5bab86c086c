-- KEYS: job, history. ARGV: now. Any non-final job becomes cancelled.
local state = redis.call('HGET', KEYS[1], 'state')
if not state or state == 'cancelled' then return 0 end
local id = redis.call('HGET', KEYS[1], 'id')
unindex(id)
redis.call('HDEL', KEYS[1], 'token', 'lease_expires', 'worker')
redis.call('HSET', KEYS[1], 'state', 'cancelled', 'updated_at', NOW)
note(id, KEYS[2], 'cancelled', nil)
return 1
