-- `keyset` (SPEC K3): create-if-absent; returns the stored blobs, ours or the winner's.
local cur = redis.call('HMGET', KEYS[1], 'wrap', 'index')
if cur[1] and cur[2] then return {'existing', cur[1], cur[2]} end
redis.call('HSET', KEYS[1], 'v', '1', 'wrap', ARGV[1], 'index', ARGV[2])
return {'created', ARGV[1], ARGV[2]}
