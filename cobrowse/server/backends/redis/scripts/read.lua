-- Reads a session's view log: KEYS[1] its head (seq), KEYS[2] the log (a Stream), KEYS[3] its
-- state; at most ARGV[2] entries after ARGV[1] when the log holds the one after it, else from
-- its start. {head, 'log', entries}, or {head, 'none' | 'lost'}.
local head = tonumber(redis.call('GET', KEYS[1]) or '0')
local state = redis.call('HGET', KEYS[3], 'state')
if state ~= 'log' then return {head, state or 'none'} end
local start = '-'
local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
if first and tonumber(string.match(first[1], '^(%d+)')) <= tonumber(ARGV[1]) + 1 then
  start = '(' .. ARGV[1] .. '-1'
end
return {head, 'log', redis.call('XRANGE', KEYS[2], start, '+', 'COUNT', ARGV[2])}
