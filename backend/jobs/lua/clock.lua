-- Not a script of its own: put in front of every script that stamps or compares times.
-- NOW is the time in ms that ARGV[1] gives, or, when it is empty (always, outside the
-- tests), the server's own clock: leases, retries and order are judged on one clock
-- however many processes and machines share the queue, and whatever their clocks say.
local NOW = tonumber(ARGV[1])
if not NOW then
  local t = redis.call('TIME')
  NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
