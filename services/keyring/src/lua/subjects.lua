-- `subjects` (SPEC K12, K17, K18, K20, K22): per subject, KEYS record, tombstone; ARGV create, maxAt,
-- candidate generation, candidate wrapped key, set-restricted -1|0|1. Returns, per subject, status, generation,
-- wrapped, restricted, changed, tombstone generation, erasedAt. A record at or below its tombstone is deleted
-- and ignored (K20); a key is created only with no usable record, when no tombstone covers the latest event
-- (K17), and only for the generation the tombstone implies (K18). Mirrored step for step by MemorySubjectStore
-- (memory.ts); test/keyring/differential.test.ts checks that they agree.
local out = {}
for i = 1, #KEYS / 2 do
  local sk, tk = KEYS[2 * i - 1], KEYS[2 * i]
  local a = (i - 1) * 5
  local rec = redis.call('HMGET', sk, 'g', 'k', 'r')
  local tomb = redis.call('HMGET', tk, 'g', 'at')
  local rg, tg, tat = tonumber(rec[1]), tonumber(tomb[1]), tonumber(tomb[2])
  if rg and tg and rg <= tg then
    redis.call('DEL', sk)
    rg = nil
  end
  local status, g, k, r, changed = 'absent', '0', '', '0', '0'
  if rg then
    status, g, k, r = 'existing', rec[1], rec[2] or '', rec[3] or '0'
  elseif ARGV[a + 1] == '1' and (not tg or tonumber(ARGV[a + 2]) > tat) then
    local need = 1
    if tg then need = tg + 1 end
    if tonumber(ARGV[a + 3]) ~= need then
      status = 'conflict'
    else
      redis.call('HSET', sk, 'g', ARGV[a + 3], 'k', ARGV[a + 4], 'r', '0')
      status, g, k, r = 'created', ARGV[a + 3], ARGV[a + 4], '0'
    end
  end
  local want = ARGV[a + 5]
  if want ~= '-1' and (status == 'existing' or status == 'created') and r ~= want then
    redis.call('HSET', sk, 'r', want)
    r, changed = want, '1'
  end
  out[#out + 1] = status
  out[#out + 1] = g
  out[#out + 1] = k
  out[#out + 1] = r
  out[#out + 1] = changed
  out[#out + 1] = tomb[1] or '-1'
  out[#out + 1] = tomb[2] or ''
end
return out
