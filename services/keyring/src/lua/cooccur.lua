-- `cooccur` (SPEC K37–K39): records that subjects of one tenant were seen in the same records. KEYS[1] the tenant's
-- index `cidx`; ARGV base (`<prefix>{<tenant>}:`), now (ms), TTL (ms), links per subject, subjects per tenant, then per
-- subject: its member `<kind>:<blindIndex>`, its token, the number of partners and their members. Blind indexes and
-- tokens only (K25). Bounded in age (members older than the TTL are dropped, every key expires a TTL after its last
-- write) and in size (the oldest links beyond the per-subject bound, the oldest subjects beyond the tenant bound); a
-- link dropped on one side is dropped on the other, so erasing a subject finds every set that names it (K40).
local base, now, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local maxLinks, maxSubjects = tonumber(ARGV[4]), tonumber(ARGV[5])
local idx = KEYS[1]
local cutoff = now - ttl
local function setOf(member)
  return base .. 'c:' .. string.sub(member, string.find(member, ':', 1, true) + 1)
end
local i = 6
while i <= #ARGV do
  local member, token, m = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local ck = setOf(member)
  for j = 1, m do redis.call('ZADD', ck, now, ARGV[i + 2 + j]) end
  local old = redis.call('ZRANGEBYSCORE', ck, '-inf', '(' .. cutoff)
  local n = redis.call('ZCARD', ck) - #old
  if n > maxLinks then
    for _, p in ipairs(redis.call('ZRANGE', ck, #old, #old + n - maxLinks - 1)) do old[#old + 1] = p end
  end
  for _, p in ipairs(old) do
    redis.call('ZREM', ck, p)
    redis.call('ZREM', setOf(p), member)
  end
  redis.call('PEXPIRE', ck, ttl)
  redis.call('SET', base .. 'ct:' .. string.sub(member, string.find(member, ':', 1, true) + 1), token, 'PX', ttl)
  redis.call('ZADD', idx, now, member)
  i = i + 3 + m
end
redis.call('ZREMRANGEBYSCORE', idx, '-inf', '(' .. cutoff)
local excess = redis.call('ZCARD', idx) - maxSubjects
if excess > 0 then
  for _, member in ipairs(redis.call('ZRANGE', idx, 0, excess - 1)) do cooccurrence_unlink(base, member) end
end
redis.call('PEXPIRE', idx, ttl)
return 'ok'
