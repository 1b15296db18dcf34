import { CREDITS_HELPERS } from './lua-credits.js'

/**
 * Lua scripts of access rules: the multi-counter, multi-credit charge of one slot, its refund, and
 * owner writes. Every key a script touches is in KEYS.
 */

/**
 * The rule of `applyCharges` (core/src/charge.ts): read every counter and credit holder, decide, and
 * write only when every charge admits (and ARGV[3] is not '1', a dry run that writes nothing and
 * reports as a refused charge would).
 *
 * KEYS: per counter charge its window's slot and the slot of the window before (read by sliding
 * limits); per credit charge the record or owner hash. ARGV: now, grace (ms), dry, then per charge either
 * 'c', amount, limit, windowMs, sliding ('1'/'0'), resetAt or 'h', cost.
 * → { ok 1/0, then per charge { 'c', ok, count } | { 'h', ok, remaining, next refill or '', credits before, credits
 * after } | { 'n' } }
 * (a credit holder missing or without credits); numbers as strings (`%.17g`).
 */
export const CHARGE = `${CREDITS_HELPERS}
local now = tonumber(ARGV[1])
local grace = tonumber(ARGV[2])
local dry = ARGV[3] == '1'
local seen = {}
local ok = true
local k, a = 1, 4
while a <= #ARGV do
  if ARGV[a] == 'c' then
    local amount, limit, windowMs, resetAt = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 5])
    local count = tonumber(redis.call('GET', KEYS[k]) or '0')
    local carried = 0
    if ARGV[a + 4] == '1' then
      local previous = tonumber(redis.call('GET', KEYS[k + 1]) or '0')
      if previous ~= 0 then carried = (previous * (resetAt - now)) / windowMs end
    end
    local admits = carried + count + amount <= limit
    ok = ok and admits
    seen[#seen + 1] = {
      counter = KEYS[k], ok = admits, amount = amount, ttl = resetAt + windowMs - now + grace,
      count = math.ceil(carried + count + (admits and amount or 0)),
    }
    k, a = k + 2, a + 6
  else
    local raw = redis.call('HGET', KEYS[k], 'credits')
    if raw then
      local cost = tonumber(ARGV[a + 1])
      local spent, remaining, json, nextAt = spend_credits(raw, cost, now)
      ok = ok and spent
      seen[#seen + 1] = { holder = KEYS[k], ok = spent, cost = cost, remaining = remaining, raw = raw, json = json, nextAt = nextAt }
    else
      seen[#seen + 1] = {}
    end
    k, a = k + 1, a + 2
  end
end
local out = { ok and 1 or 0 }
for _, s in ipairs(seen) do
  if s.counter then
    if ok and not dry then
      if s.amount > 0 then
        redis.call('INCRBY', s.counter, s.amount)
        -- Kept one window longer, for sliding limits that weigh the previous window; never shortened.
        if redis.call('PTTL', s.counter) < s.ttl then redis.call('PEXPIRE', s.counter, s.ttl) end
      end
    elseif s.ok then
      s.count = math.ceil(s.count - s.amount)
    end
    out[#out + 1] = { 'c', s.ok and 1 or 0, num(s.count) }
  elseif s.holder then
    if ok and not dry then redis.call('HSET', s.holder, 'credits', s.json)
    elseif s.ok then s.remaining = s.remaining + s.cost end
    local next = ''
    if s.nextAt then next = num(s.nextAt) end
    out[#out + 1] = { 'h', s.ok and 1 or 0, num(s.remaining), next, s.raw, s.json }
  else
    out[#out + 1] = { 'n' }
  end
end
return out
`

/**
 * Give back what CHARGE took in one slot when a later slot of the same charge refused. KEYS: per
 * counter charge its window's slot, per credit charge the holder; ARGV: per key 'c', amount, '', '' or
 * 'h', cost, the credits JSON CHARGE wrote, the JSON before. Credits still as written get their JSON
 * before back (a refill or the first spend's anchor undone too); credits spent again meanwhile get the
 * cost added. A counter slot that expired meanwhile stays gone.
 */
export const REFUND = `${CREDITS_HELPERS}
for i = 1, #KEYS do
  local a = 4 * i - 3
  local n = tonumber(ARGV[a + 1])
  if ARGV[a] == 'c' then
    if n > 0 and redis.call('EXISTS', KEYS[i]) == 1 then redis.call('DECRBY', KEYS[i], n) end
  else
    local raw = redis.call('HGET', KEYS[i], 'credits')
    if raw == ARGV[a + 2] then
      redis.call('HSET', KEYS[i], 'credits', ARGV[a + 3])
    elseif raw then
      local c = cjson.decode(raw)
      redis.call('HSET', KEYS[i], 'credits', credits_json(c.remaining + n, c.refill, c.refilledAt))
    end
  end
end
return 1
`

/**
 * KEYS[1] owner hash; ARGV: channel, message (published as the record scripts do, see `scripts.ts`),
 * createdAt (kept when the owner exists), field/value pairs… → the stored owner as HGETALL pairs. Its
 * revision goes up by one.
 */
export const PUT_OWNER = `
local createdAt = redis.call('HGET', KEYS[1], 'createdAt') or ARGV[3]
local revision = tonumber(redis.call('HGET', KEYS[1], 'revision') or '0') + 1
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'createdAt', createdAt, 'revision', tostring(revision), unpack(ARGV, 4))
if ARGV[1] ~= '' then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
return redis.call('HGETALL', KEYS[1])
`
