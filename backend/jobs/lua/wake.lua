-- Not a script of its own: the helper put in front of every script that wakes workers.
-- push_wake() puts one wake-up on Huey's queue (the message the worker stored when it
-- started: a wake-up carries no job, so every one is the same), unless `limit` (> 0)
-- already wait. The 8-character sequence in front is what Huey strips from a queued
-- message; it keeps messages distinct and in order. No message stored (no worker has
-- started since the data was created): nothing to wake, and 0 is returned.
local function push_wake(priority, limit)
  if limit > 0 and redis.call('ZCARD', '${wake_queue}') >= limit then return 0 end
  local message = redis.call('GET', '${wake_message}')
  if not message then return 0 end
  local seq = redis.call('INCR', '${wake_seq}') % 100000000
  redis.call('ZADD', '${wake_queue}', -priority, string.format('%08d', seq) .. message)
  return 1
end
