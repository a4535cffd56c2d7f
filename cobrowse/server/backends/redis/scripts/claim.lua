-- Claims the timers of sorted set KEYS[1] due at ARGV[1] (at most 100): moves their deadline
-- to ARGV[2], the end of the claim's lease, and returns their keys.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 100)
for _, key in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], key) end
return due
