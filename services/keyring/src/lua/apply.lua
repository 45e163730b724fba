-- `apply` (SPEC K31, K41): record/tombstone pairs; ARGV now (ms), lifetime (ms; '' for ever), then per subject:
-- generation, erasedAt, request id. Per subject, the record is written if newer than the stored tombstone (higher
-- generation, or the same and a later erasedAt) and still within its lifetime, then a subject record at or below the
-- resulting tombstone's generation is deleted (K20). Returns the number of tombstones written and of records deleted.
-- The result is the newest record per subject whatever the order, so re-running it changes nothing. Mirrored step for
-- step by MemorySubjectStore.
local now, lifetime = tonumber(ARGV[1]), tonumber(ARGV[2])
local applied, deleted = 0, 0
for i = 1, #KEYS / 2 do
  local sk, tk = KEYS[2 * i - 1], KEYS[2 * i]
  local a = 2 + (i - 1) * 3
  local g, at = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  local cur = redis.call('HMGET', tk, 'g', 'at')
  local cg, cat = tonumber(cur[1]), tonumber(cur[2])
  local alive = not lifetime or at + lifetime > now
  if alive and (not cg or g > cg or (g == cg and (not cat or at > cat))) then
    redis.call('HSET', tk, 'g', ARGV[a + 1], 'at', ARGV[a + 2], 'req', ARGV[a + 3])
    if lifetime then redis.call('PEXPIREAT', tk, at + lifetime) end
    applied = applied + 1
    cg = g
  end
  local rg = tonumber(redis.call('HGET', sk, 'g'))
  if rg and cg and rg <= cg then
    redis.call('DEL', sk)
    deleted = deleted + 1
  end
end
return {applied, deleted}
