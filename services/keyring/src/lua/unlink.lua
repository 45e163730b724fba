-- Shared prelude of cooccur.lua and erase.lua (prepended when the scripts are loaded, redis-store.ts): removes a
-- subject from the co-occurrence index (SPEC K38, K40). `base` is `<prefix>{<tenant>}:`, `member` is
-- `<kind>:<blindIndex>`. Every key it touches carries the tenant's hash tag, so it stays in the script's slot.
local function cooccurrence_unlink(base, member)
  local bi = string.sub(member, string.find(member, ':', 1, true) + 1)
  local ck = base .. 'c:' .. bi
  for _, partner in ipairs(redis.call('ZRANGE', ck, 0, -1)) do
    local pbi = string.sub(partner, string.find(partner, ':', 1, true) + 1)
    redis.call('ZREM', base .. 'c:' .. pbi, member)
  end
  redis.call('DEL', ck, base .. 'ct:' .. bi)
  redis.call('ZREM', base .. 'cidx', member)
end
