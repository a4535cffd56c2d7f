-- Sends publication ARGV[2] to the channel of each process in set KEYS[1] but ARGV[1] (its
-- origin), preceded by its length in bytes and a newline. The number of processes sent to.
local sent = 0
for _, process in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if process ~= ARGV[1] then
    redis.call('PUBLISH', 'cb:p:' .. process, string.len(ARGV[2]) .. '\n' .. ARGV[2])
    sent = sent + 1
  end
end
return sent
