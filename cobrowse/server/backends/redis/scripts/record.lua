-- Numbers views, keeps each in its session's log, and sends it to the other processes of its
-- session (those in its ``where`` set but its origin; none when the origin is empty): inline when
-- short, else by key. One call for a batch of views on the hot path.
-- ARGV[1] is the log's limit in bytes, ARGV[2] the longest view sent inline, ARGV[3] how many
-- seconds a longer one is kept for its subscribers to read; then, per view, four keys (seq, log,
-- logm, where) and four arguments (the view, '1' for a full snapshot, the origin, the code).
-- It returns the views' numbers.
local limit, inline, big_seconds = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local function record(seq_key, log_key, meta_key, text, full)
  local seq = redis.call('INCR', seq_key)
  local size = string.len(text)
  if full == '1' then
    redis.call('DEL', log_key)
    redis.call('XADD', log_key, seq .. '-1', 't', text)
    redis.call('HSET', meta_key, 'chars', size, 'state', 'log')
    return seq
  end
  if redis.call('HGET', meta_key, 'state') ~= 'log' then return seq end
  if redis.call('HINCRBY', meta_key, 'chars', size) > limit then
    redis.call('DEL', log_key)
    redis.call('HSET', meta_key, 'state', 'lost')
  else
    redis.call('XADD', log_key, seq .. '-1', 't', text)
  end
  return seq
end
local outbox = {}
local function send(where_key, text, origin, code, seq)
  local message = nil
  for _, process in ipairs(redis.call('SMEMBERS', where_key)) do
    if process ~= origin then
      if not message then
        if string.len(text) > inline then
          redis.call('SET', 'cb:big:' .. code .. ':' .. seq, text, 'EX', big_seconds)
          message = origin .. '\n' .. code .. '\nbigview\n' .. seq .. '\n'
        else
          message = origin .. '\n' .. code .. '\nview\n' .. seq .. '\n' .. text
        end
        message = string.len(message) .. '\n' .. message
      end
      if not outbox[process] then outbox[process] = {} end
      table.insert(outbox[process], message)
    end
  end
end
local numbers = {}
for i = 0, (#ARGV - 3) / 4 - 1 do
  local text, full, origin, code = ARGV[i * 4 + 4], ARGV[i * 4 + 5], ARGV[i * 4 + 6], ARGV[i * 4 + 7]
  local seq = record(KEYS[i * 4 + 1], KEYS[i * 4 + 2], KEYS[i * 4 + 3], text, full)
  if origin ~= '' then send(KEYS[i * 4 + 4], text, origin, code, seq) end
  numbers[i + 1] = seq
end
for process, messages in pairs(outbox) do
  redis.call('PUBLISH', 'cb:p:' .. process, table.concat(messages))
end
return numbers
