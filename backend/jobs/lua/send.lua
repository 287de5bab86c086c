-- KEYS: (none). ARGV: count, priority. Sends `count` wake-ups; -1 if no worker has stored
-- its message yet (the caller stores it and sends again).
if redis.call('EXISTS', '${wake_message}') == 0 then return -1 end
local sent = 0
for _ = 1, tonumber(ARGV[1]) do sent = sent + push_wake(tonumber(ARGV[2]), 0) end
return sent
