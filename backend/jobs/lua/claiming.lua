-- Not a script of its own: claim_best() promotes due retries, then takes the best queued
-- job for `worker` unless the queue is paused. `guards` may hold 'p' (take nothing while
-- the breaker wants a test sentence read first) and 'e' (nothing while the user types:
-- the model is not loaded, and loading it now would make the editor stutter). A claim
-- that leaves work queued and no wake-up waiting sends one, so an idle second worker
-- joins in. Returns the claimed job's fields, or false.
local function claim_best(now, worker, token, lease_ms, guards)
  if redis.call('HLEN', '${paused}') > 0 then return false end
  if string.find(guards, 'p', 1, true) and redis.call('HEXISTS', '${breaker}', 'probe') == 1 then
    return false
  end
  if string.find(guards, 'e', 1, true) and redis.call('EXISTS', '${editing}') == 1 then
    return false
  end
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
      local expires = now + lease_ms
      redis.call('HSET', key, 'state', 'running', 'token', token, 'worker', worker,
        'lease_expires', expires, 'started_at', now, 'updated_at', now)
      redis.call('ZADD', '${running}', expires, id)
      local hkey = key .. ':history'
      redis.call('RPUSH', hkey, cjson.encode({event='started', at=now, attempt=attempts,
        worker=worker}))
      redis.call('LTRIM', hkey, -${keep}, -1)
      redis.call('PUBLISH', '${events}', cjson.encode({job=id, event='started',
        state='running'}))
      if redis.call('ZCARD', '${queued}') > 0 then push_wake(0, 1) end
      return {id, redis.call('HGET', key, 'kind'), redis.call('HGET', key, 'journal_id'),
        redis.call('HGET', key, 'entry_id'), redis.call('HGET', key, 'content_hash'),
        attempts}
    end
  end
end
