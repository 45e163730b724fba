-- `erase` (SPEC K15, K16, K19, K29, K40, K41): KEYS[1] the request's result, then record/tombstone pairs; ARGV
-- erasedAt, request id, result JSON, base (`<prefix>{<tenant>}:`), lifetime (ms; '' keeps tombstones and the result for
-- ever), then per subject what the caller read: usable generation, tombstone generation (-1 for none), tombstone
-- erasedAt ('' for none), and its co-occurrence member (`<kind>:<blindIndex>`). A known request id returns its result
-- and changes nothing; any subject or tombstone changed since the read aborts everything (so the tombstones in the
-- result JSON are the ones written); otherwise every record goes, every tombstone gets the highest generation and the
-- latest erasedAt, every subject leaves the co-occurrence index, and the result is stored.
local done = redis.call('GET', KEYS[1])
if done then return {'done', done} end
local n = (#KEYS - 1) / 2
local live, tgs = {}, {}
for i = 1, n do
  local rg = tonumber(redis.call('HGET', KEYS[2 * i], 'g'))
  local tomb = redis.call('HMGET', KEYS[2 * i + 1], 'g', 'at')
  local tg, tat = tonumber(tomb[1]), tonumber(tomb[2])
  local g = 0
  if rg and (not tg or rg > tg) then g = rg end
  local a = 5 + 4 * (i - 1)
  if g ~= tonumber(ARGV[a + 1]) or (tg or -1) ~= tonumber(ARGV[a + 2]) or tat ~= tonumber(ARGV[a + 3]) then
    return {'conflict'}
  end
  live[i], tgs[i] = g, tg or 0
end
local at = tonumber(ARGV[1])
local base, lifetime = ARGV[4], tonumber(ARGV[5])
for i = 1, n do
  local tk = KEYS[2 * i + 1]
  redis.call('DEL', KEYS[2 * i])
  local g = live[i]
  if g == 0 then g = tgs[i] end
  local newAt = ARGV[1]
  local oldAt = redis.call('HGET', tk, 'at')
  if oldAt and tonumber(oldAt) > at then newAt = oldAt end
  redis.call('HSET', tk, 'g', tostring(g), 'at', newAt, 'req', ARGV[2])
  -- K41: kept raw retention + maximum backup age from this write, then dropped.
  if lifetime then redis.call('PEXPIRE', tk, lifetime) end
  cooccurrence_unlink(base, ARGV[5 + 4 * i])
end
redis.call('SET', KEYS[1], ARGV[3])
if lifetime then redis.call('PEXPIRE', KEYS[1], lifetime) end
return {'ok'}
