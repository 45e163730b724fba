-- `destroy-epochs` (SPEC K48): overwrites each epoch's secret with `x:<destroyedAt>` (also an epoch never created, so a
-- late event cannot create it); an epoch already destroyed keeps its first destruction time. Returns the names this
-- call destroyed. KEYS[1]: the tenant's epochs hash. ARGV[1]: destroyedAt (ms); ARGV[2..]: names.
local out = {}
for i = 2, #ARGV do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if not (cur and string.sub(cur, 1, 2) == 'x:') then
    redis.call('HSET', KEYS[1], ARGV[i], 'x:' .. ARGV[1])
    out[#out + 1] = ARGV[i]
  end
end
return out
