-- Not a script of its own: the helpers put in front of every script that moves a job.
-- note() appends to the job's capped history and publishes the transition; unindex()
-- takes the job out of every state index before it is filed under its new state.
local function note(id, hkey, event, extra)
  local rec = {event=event, at=NOW}
  if extra then for k, v in pairs(extra) do rec[k] = v end end
  redis.call('RPUSH', hkey, cjson.encode(rec))
  redis.call('LTRIM', hkey, -${keep}, -1)
  local job = redis.call('HGET', KEYS[1], 'state')
  redis.call('PUBLISH', '${events}', cjson.encode({job=id, event=event, state=job}))
end
local function unindex(id)
  redis.call('ZREM', '${queued}', id)
  redis.call('ZREM', '${running}', id)
  redis.call('ZREM', '${retry}', id)
  redis.call('ZREM', '${dead}', id)
  redis.call('ZREM', '${done}', id)
end
