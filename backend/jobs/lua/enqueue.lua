-- KEYS: job, history. ARGV: now, id, kind, journal_id, entry_id, hash, priority,
-- max_attempts. New content (or no record) queues fresh work with a clean attempt
-- count and wakes a worker (unless a wake-up already waits: any worker it reaches takes
-- the best job); the same content already queued or running is left alone.
local id = ARGV[2]
local state = redis.call('HGET', KEYS[1], 'state')
local same = redis.call('HGET', KEYS[1], 'content_hash') == ARGV[6]
if state and same and (state == 'queued' or state == 'running' or state == 'retry_wait') then
  return 0
end
local order = (ARGV[7] == 'backlog' and ${backlog} or 0) - NOW
unindex(id)
redis.call('HSET', KEYS[1], 'id', id, 'kind', ARGV[3], 'journal_id', ARGV[4],
  'entry_id', ARGV[5], 'content_hash', ARGV[6], 'priority', ARGV[7], 'state', 'queued',
  'order', order, 'attempts', 0, 'crashes', 0, 'max_attempts', ARGV[8],
  'enqueued_at', NOW, 'updated_at', NOW)
redis.call('HDEL', KEYS[1], 'token', 'lease_expires', 'worker', 'run_after')
if not redis.call('HEXISTS', KEYS[1], 'created_at') then
  redis.call('HSET', KEYS[1], 'created_at', NOW)
end
redis.call('ZADD', '${queued}', order, id)
note(id, KEYS[2], state and 'requeued' or 'queued', {priority=ARGV[7]})
push_wake(ARGV[7] == 'backlog' and 0 or 10, 1)
return 1
