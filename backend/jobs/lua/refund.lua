-- KEYS: job, history. ARGV: now, reason. Takes back the attempt and the crash that the
-- last reap charged (the extractor, not this entry, crashed the worker): queued again.
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'queued' and state ~= 'retry_wait' and state ~= 'dead' then return 0 end
if tonumber(redis.call('HGET', KEYS[1], 'crashes') or '0') < 1 then return 0 end
local id = redis.call('HGET', KEYS[1], 'id')
redis.call('HINCRBY', KEYS[1], 'crashes', -1)
if tonumber(redis.call('HGET', KEYS[1], 'attempts')) > 0 then
  redis.call('HINCRBY', KEYS[1], 'attempts', -1)
end
unindex(id)
redis.call('HDEL', KEYS[1], 'died_at', 'run_after')
redis.call('HSET', KEYS[1], 'state', 'queued', 'updated_at', NOW)
redis.call('ZADD', '${queued}', redis.call('HGET', KEYS[1], 'order'), id)
note(id, KEYS[2], 'refunded', {reason=ARGV[2]})
return 1
