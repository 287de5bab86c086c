-- KEYS: (none; job keys are derived). ARGV: now, worker, token, lease_ms.
-- Promotes due retries, then takes the best queued job unless the queue is paused.
local now = tonumber(ARGV[1])
if redis.call('HLEN', '${paused}') > 0 then return false end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', '${retry}', '-inf', now)) do
  local key = '${prefix}job:' .. id
  redis.call('ZREM', '${retry}', id)
  if redis.call('HGET', key, 'state') == 'retry_wait' then
    redis.call('HSET', key, 'state', 'queued', 'updated_at', now)
    redis.call('ZADD', '${queued}', redis.call('HGET', key, 'order'), id)
  end
end
while true do
  local top = redis.call('ZPOPMIN', '${queued}')
  if #top == 0 then return false end
  local id = top[1]
  local key = '${prefix}job:' .. id
  if redis.call('HGET', key, 'state') == 'queued' then
    local attempts = redis.call('HINCRBY', key, 'attempts', 1)
    local expires = now + tonumber(ARGV[4])
    redis.call('HSET', key, 'state', 'running', 'token', ARGV[3], 'worker', ARGV[2],
      'lease_expires', expires, 'started_at', now, 'updated_at', now)
    redis.call('ZADD', '${running}', expires, id)
    local hkey = key .. ':history'
    redis.call('RPUSH', hkey, cjson.encode({event='started', at=now, attempt=attempts,
      worker=ARGV[2]}))
    redis.call('LTRIM', hkey, -${keep}, -1)
    redis.call('PUBLISH', '${events}', cjson.encode({job=id, event='started',
      state='running'}))
    return {id, redis.call('HGET', key, 'kind'), redis.call('HGET', key, 'journal_id'),
      redis.call('HGET', key, 'entry_id'), redis.call('HGET', key, 'content_hash'),
      attempts}
  end
end
