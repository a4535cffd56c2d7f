-- 1 if heartbeat KEYS[1] is younger than ARGV[1] milliseconds by Redis's clock, else 0.
local beat = redis.call('GET', KEYS[1])
if not beat then return 0 end
local now = redis.call('TIME')
if now[1] * 1000 + math.floor(now[2] / 1000) - tonumber(beat) < tonumber(ARGV[1]) then return 1 end
return 0
