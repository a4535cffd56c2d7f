-- Creates a session's record KEYS[1] (ARGV[1], JSON) unless its code is taken or retired
-- (KEYS[2]), with its lookups: the visitor's token KEYS[3] and, if given, its SID KEYS[4], to
-- the code ARGV[2]; all of them expire in ARGV[3] seconds. 1 if created, else 0.
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[3]) then return 0 end
redis.call('SET', KEYS[3], ARGV[2], 'EX', ARGV[3])
if KEYS[4] then redis.call('SET', KEYS[4], ARGV[2], 'EX', ARGV[3]) end
return 1
