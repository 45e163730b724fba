-- `epochs` (SPEC K47): per epoch name, its stored secret; creates it from the candidate when absent and the candidate
-- is not ''. A destroyed epoch (`x:<destroyedAt>`) stays destroyed: an event older than the retention never re-creates
-- its epoch. KEYS[1]: the tenant's epochs hash. ARGV: name, candidate, name, candidate, …
local out = {}
for i = 1, #ARGV, 2 do
  local name, candidate = ARGV[i], ARGV[i + 1]
  local cur = redis.call('HGET', KEYS[1], name)
  if cur then
    if string.sub(cur, 1, 2) == 'x:' then
      out[#out + 1] = 'destroyed'; out[#out + 1] = ''
    else
      out[#out + 1] = 'existing'; out[#out + 1] = cur
    end
  elseif candidate ~= '' then
    redis.call('HSET', KEYS[1], name, candidate)
    out[#out + 1] = 'created'; out[#out + 1] = candidate
  else
    out[#out + 1] = 'absent'; out[#out + 1] = ''
  end
end
return out
