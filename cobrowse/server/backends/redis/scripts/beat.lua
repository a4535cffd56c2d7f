-- Renews process ARGV[2]'s heartbeat KEYS[1] (Redis's clock in milliseconds, so that machines'
-- clocks need not agree), expiring in ARGV[1] ms, and lists it in KEYS[2]: 1 if it was not listed.
local now = redis.call('TIME')
redis.call('SET', KEYS[1], now[1] * 1000 + math.floor(now[2] / 1000), 'PX', ARGV[1])
return redis.call('SADD', KEYS[2], ARGV[2])
