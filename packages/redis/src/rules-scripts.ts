import { AUDIT_HELPERS } from './lua-audit.js'
import { CREDITS_HELPERS } from './lua-credits.js'

/**
 * Lua scripts of access rules: the atomic multi-counter, multi-credit charge and owner writes. Every
 * key a script touches is in KEYS.
 */

/**
 * The rule of `applyCharges` (core/src/charge.ts): read every counter and credit holder, decide, and
 * write only when every charge admits.
 *
 * KEYS: per counter charge its window's slot and the slot of the window before (read by sliding
 * limits); per credit charge the record or owner hash. ARGV: now, grace (ms), then per charge either
 * 'c', amount, limit, windowMs, sliding ('1'/'0'), resetAt or 'h', cost.
 * → { ok 1/0, then per charge { 'c', ok, count } | { 'h', ok, remaining, next refill or '' } | { 'n' } }
 * (a credit holder missing or without credits); numbers as strings (`%.17g`).
 */
export const CHARGE = `${CREDITS_HELPERS}
local now = tonumber(ARGV[1])
local grace = tonumber(ARGV[2])
local seen = {}
local ok = true
local k, a = 1, 3
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
      seen[#seen + 1] = { holder = KEYS[k], ok = spent, cost = cost, remaining = remaining, json = json, nextAt = nextAt }
    else
      seen[#seen + 1] = {}
    end
    k, a = k + 1, a + 2
  end
end
local out = { ok and 1 or 0 }
for _, s in ipairs(seen) do
  if s.counter then
    if ok and s.amount > 0 then
      redis.call('INCRBY', s.counter, s.amount)
      -- Kept one window longer, for sliding limits that weigh the previous window; never shortened.
      if redis.call('PTTL', s.counter) < s.ttl then redis.call('PEXPIRE', s.counter, s.ttl) end
    elseif not ok and s.ok then
      s.count = math.ceil(s.count - s.amount)
    end
    out[#out + 1] = { 'c', s.ok and 1 or 0, num(s.count) }
  elseif s.holder then
    if ok then redis.call('HSET', s.holder, 'credits', s.json)
    elseif s.ok then s.remaining = s.remaining + s.cost end
    local next = ''
    if s.nextAt then next = num(s.nextAt) end
    out[#out + 1] = { 'h', s.ok and 1 or 0, num(s.remaining), next }
  else
    out[#out + 1] = { 'n' }
  end
end
return out
`

/**
 * KEYS[1] owner hash, KEYS[2…] the audit hash and indexes (optional); ARGV: channel, change id, audit
 * member, audit JSON, createdAt (kept when the owner exists), field/value pairs… → the stored owner as
 * HGETALL pairs, or -1 (nothing changed) when the audit id exists.
 */
export const PUT_OWNER = `${AUDIT_HELPERS}
if audit_taken(2, ARGV[3]) then return -1 end
local createdAt = redis.call('HGET', KEYS[1], 'createdAt') or ARGV[5]
local revision = tonumber(redis.call('HGET', KEYS[1], 'revision') or '0') + 1
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'createdAt', createdAt, 'revision', tostring(revision), unpack(ARGV, 6))
audit_write(2, ARGV[3], ARGV[4])
redis.call('PUBLISH', ARGV[1], ARGV[2])
return redis.call('HGETALL', KEYS[1])
`
