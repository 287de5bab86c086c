-- KEYS: job. ARGV: now, token, lease_ms. Extends the lease of the token's holder only.
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[2] then return 0 end
local expires = NOW + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'lease_expires', expires)
redis.call('ZADD', '${running}', expires, redis.call('HGET', KEYS[1], 'id'))
return 1
