/**
 * Lua for usage counts, the audit log, the notification ledger and leases. Every key a script
 * touches is in its KEYS.
 */

/**
 * A key's usage (its slot). KEYS: the applied batch ids (sorted set scored by earliest minute), then
 * per granularity (minute, hour, day) its hash (`[start, prefix, ownerId, outcome]` JSON → count) and
 * the hash fields' index scored by start; ARGV: batch id ('' for none), its earliest minute, then per
 * bucket granularity (1–3), start, field, count. Applied unless the batch id was: → 1 applied, 0 skipped.
 */
export const ADD_USAGE = `
if ARGV[1] ~= '' then
  if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
end
for i = 3, #ARGV, 4 do
  local g = tonumber(ARGV[i]) * 2
  redis.call('HINCRBY', KEYS[g], ARGV[i + 2], ARGV[i + 3])
  redis.call('ZADD', KEYS[g + 1], ARGV[i + 1], ARGV[i + 2])
end
return 1
`

/** KEYS: one granularity's hash and index of a key; ARGV: from, to (exclusive) → field, count pairs of the buckets in range. */
export const READ_USAGE = `
local fields = redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[1], '(' .. ARGV[2])
if #fields == 0 then return {} end
local counts = redis.call('HMGET', KEYS[1], unpack(fields))
local out = {}
for i, f in ipairs(fields) do
  if counts[i] then
    out[#out + 1] = f
    out[#out + 1] = counts[i]
  end
end
return out
`

/**
 * KEYS: as ADD_USAGE; ARGV: the minute, hour and day cutoffs, then the batch cutoff → removes each
 * granularity's buckets before its cutoff and batch ids whose earliest minute is before the batch cutoff.
 */
export const PRUNE_USAGE = `
for g = 1, 3 do
  local old = redis.call('ZRANGEBYSCORE', KEYS[2 * g + 1], '-inf', '(' .. ARGV[g])
  for from = 1, #old, 1000 do
    local slice = { unpack(old, from, math.min(from + 999, #old)) }
    redis.call('HDEL', KEYS[2 * g], unpack(slice))
    redis.call('ZREM', KEYS[2 * g + 1], unpack(slice))
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[4])
return 1
`

/**
 * KEYS: the audit hash, then every entry's indexes in turn; ARGV: per entry its number of indexes,
 * member and JSON. Appends all, or none when an id exists (or repeats): → '' or that id.
 */
export const APPEND_AUDIT = `
local seen = {}
for i = 1, #ARGV, 3 do
  local id = string.sub(ARGV[i + 1], 17)
  if seen[id] or redis.call('HEXISTS', KEYS[1], id) == 1 then return id end
  seen[id] = true
end
local k = 2
for i = 1, #ARGV, 3 do
  redis.call('HSET', KEYS[1], string.sub(ARGV[i + 1], 17), ARGV[i + 2])
  for j = k, k + tonumber(ARGV[i]) - 1 do redis.call('ZADD', KEYS[j], 0, ARGV[i + 1]) end
  k = k + tonumber(ARGV[i])
end
return ''
`

/**
 * KEYS[1] index, KEYS[2] audit hash; ARGV: max and min (lex), count, filter JSON ({ prefix, keyId?,
 * ownerId?, actorId? }) → up to count entries' JSON that match, newest first.
 */
export const LIST_AUDIT = `
local out = {}
local max, min, want = ARGV[1], ARGV[2], tonumber(ARGV[3])
local f = cjson.decode(ARGV[4])
local batch = math.max(want, 100)
while #out < want do
  local ms = redis.call('ZREVRANGEBYLEX', KEYS[1], max, min, 'LIMIT', 0, batch)
  for _, m in ipairs(ms) do
    local json = redis.call('HGET', KEYS[2], string.sub(m, 17))
    if json then
      local e = cjson.decode(json)
      if e.prefix == f.prefix and (f.keyId == nil or e.keyId == f.keyId) and (f.ownerId == nil or e.ownerId == f.ownerId)
        and (f.actorId == nil or (type(e.actor) == 'table' and e.actor.id == f.actorId)) then
        out[#out + 1] = json
        if #out == want then break end
      end
    end
  end
  if #ms < batch then break end
  max = '(' .. ms[#ms]
end
return out
`

/**
 * KEYS: the ledger hash, due set, done set; ARGV: per entry id, JSON, createdAt, pending ('1'/'0')
 * → the ids recorded now (those never recorded before).
 */
export const RECORD_NOTIFICATIONS = `
local added = {}
for i = 1, #ARGV, 4 do
  if redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then
    if ARGV[i + 3] == '1' then redis.call('ZADD', KEYS[2], ARGV[i + 2], ARGV[i]) else redis.call('ZADD', KEYS[3], ARGV[i + 2], ARGV[i]) end
    added[#added + 1] = ARGV[i]
  end
end
return added
`

/**
 * KEYS: the ledger hash, attempts hash, due set (scored by when each is next free: its next attempt
 * or the end of its claim); ARGV: now, claim end, limit → up to limit { JSON, attempts } of free
 * entries, oldest first, each now claimed until the claim end.
 */
export const CLAIM_NOTIFICATIONS = `
local rows = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[1])) do
  local json = redis.call('HGET', KEYS[1], id)
  if json then rows[#rows + 1] = { id = id, json = json, at = cjson.decode(json).createdAt } end
end
-- Ties on createdAt by id, byte by byte (Lua's < follows the server's locale).
local function bytewise(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
table.sort(rows, function(a, b)
  if a.at ~= b.at then return a.at < b.at end
  return bytewise(a.id, b.id)
end)
local out = {}
for i = 1, math.min(#rows, tonumber(ARGV[3])) do
  redis.call('ZADD', KEYS[3], ARGV[2], rows[i].id)
  out[i] = { rows[i].json, redis.call('HGET', KEYS[2], rows[i].id) or '0' }
end
return out
`

/**
 * KEYS: the ledger hash, attempts hash, due set, done set; ARGV: id, delivered ('1'/'0'), next
 * attempt. A delivered entry moves to the done set (scored by createdAt); a failed one counts an
 * attempt and is next free at its next attempt. Entries not pending are left alone.
 */
export const SETTLE_NOTIFICATION = `
if not redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 0 end
if ARGV[2] == '1' then
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('ZADD', KEYS[4], cjson.decode(redis.call('HGET', KEYS[1], ARGV[1])).createdAt, ARGV[1])
else
  redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
end
return 1
`

/** KEYS: the ledger hash, attempts hash, done set; ARGV: before, batch → how many done entries created before it were forgotten. */
export const PRUNE_NOTIFICATIONS = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #ids > 0 then
  redis.call('HDEL', KEYS[1], unpack(ids))
  redis.call('HDEL', KEYS[2], unpack(ids))
  redis.call('ZREM', KEYS[3], unpack(ids))
end
return #ids
`

/** KEYS[1] lease; ARGV: holder, now, until → 1 when holder now holds it, 0 when another does. */
export const ACQUIRE_LEASE = `
local cur = redis.call('HMGET', KEYS[1], 'holder', 'until')
if cur[1] and cur[1] ~= ARGV[1] and tonumber(cur[2]) > tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'holder', ARGV[1], 'until', ARGV[3])
return 1
`
