-- Removes timer ARGV[1] from sorted set KEYS[1] if its deadline is still ARGV[2] (the lease it
-- was claimed with: not scheduled again meanwhile). 1 if removed.
if tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '-1') == tonumber(ARGV[2]) then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0
