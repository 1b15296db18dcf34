import { AUDIT_HELPERS } from './lua-audit.js'
import { CREDITS_HELPERS } from './lua-credits.js'

/**
 * Lua scripts: each runs atomically in Redis, so a record and its indexes never disagree and a
 * change is published in the same step. Keys are derived from the prefix (ARGV[1]); for Redis
 * Cluster use a prefix with a hash tag such as `{keyward}:` so they share one slot.
 */

const INDEX_HELPERS = `
local p = ARGV[1]
-- The indexes a record belongs to: every record, and those of its deployment prefix (idx:p:<prefix>:…),
-- each for all records and for live (not revoked) ones, and per owner.
local function indexes(owner, prefix)
  local all, live = {}, {}
  local scopes = { p .. 'idx:' }
  if prefix then scopes[2] = p .. 'idx:p:' .. prefix .. ':' end
  for _, s in ipairs(scopes) do
    all[#all + 1] = s .. 'all'
    live[#live + 1] = s .. 'live'
    if owner then
      all[#all + 1] = s .. 'owner:' .. owner
      live[#live + 1] = s .. 'owner-live:' .. owner
    end
  end
  return all, live
end
`

/**
 * KEYS[1] record, KEYS[2…] the audit hash and indexes (optional); ARGV: prefix, channel, id, member,
 * owner ('' = none), revoked ('1'/'0'), record prefix, audit member, audit JSON, the owner's most live
 * keys ('' = no cap), now (epoch ms, for the cap), field/value pairs… → 1, 0 on a duplicate id, -2
 * (nothing changed) when the owner already has that many live keys, -1 (nothing changed) when the
 * audit id exists.
 */
export const INSERT = `${INDEX_HELPERS}${AUDIT_HELPERS}
-- Whether the owner has at least max live keys: not revoked (its owner-live index) and not expired.
local function live_keys_reach(owner, max, now)
  if max <= 0 then return true end
  local live = 0
  for _, m in ipairs(redis.call('ZRANGE', p .. 'idx:owner-live:' .. owner, 0, -1)) do
    local expires = redis.call('HGET', p .. 'key:' .. string.sub(m, 17), 'expiresAt')
    if (not expires) or tonumber(expires) > now then
      live = live + 1
      if live >= max then return true end
    end
  end
  return false
end
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local owner = nil
if ARGV[5] ~= '' then owner = string.sub(ARGV[5], 2) end
if owner and ARGV[10] ~= '' and live_keys_reach(owner, tonumber(ARGV[10]), tonumber(ARGV[11])) then return -2 end
if audit_taken(2, ARGV[8]) then return -1 end
redis.call('HSET', KEYS[1], unpack(ARGV, 12))
audit_write(2, ARGV[8], ARGV[9])
local all, live = indexes(owner, ARGV[7])
for _, k in ipairs(all) do redis.call('ZADD', k, 0, ARGV[4]) end
if ARGV[6] == '0' then for _, k in ipairs(live) do redis.call('ZADD', k, 0, ARGV[4]) end end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`

/**
 * Many records, each inserted (with its audit entries) unless its id exists. ARGV: prefix, channel,
 * audit hash, then per record: id, member, owner ('' = none), revoked ('1'/'0'), record prefix,
 * #audit entries, per entry (member, JSON, #indexes, indexes…), field/value pairs as a JSON array → 1
 * (inserted) or 0 (id existed) per record, or the id of an audit entry that exists (nothing changed).
 */
export const INSERT_MANY = `${INDEX_HELPERS}
local records, i = {}, 4
while i <= #ARGV do
  local r = { at = i, audits = {} }
  i = i + 6
  for a = 1, tonumber(ARGV[r.at + 5]) do
    r.audits[a] = i
    i = i + 3 + tonumber(ARGV[i + 2])
  end
  r.pairs = i
  i = i + 1
  records[#records + 1] = r
end
local new, seen, audit_ids = {}, {}, {}
for n, r in ipairs(records) do
  local id = ARGV[r.at]
  new[n] = not seen[id] and redis.call('EXISTS', p .. 'key:' .. id) == 0
  seen[id] = true
  if new[n] then for _, a in ipairs(r.audits) do table.insert(audit_ids, string.sub(ARGV[a], 17)) end end
end
for from = 1, #audit_ids, 1000 do
  local slice = { unpack(audit_ids, from, math.min(from + 999, #audit_ids)) }
  local found = redis.call('HMGET', ARGV[3], unpack(slice))
  for n = 1, #slice do if found[n] then return slice[n] end end
end
-- Members of every index, and the audit hash's fields, go in one command per key after the loop.
local adds, audits = {}, {}
local function add(k, m)
  adds[k] = adds[k] or {}
  table.insert(adds[k], 0)
  table.insert(adds[k], m)
end
local function batched(command, k, list)
  for from = 1, #list, 2000 do redis.call(command, k, unpack(list, from, math.min(from + 1999, #list))) end
end
local out = {}
for n, r in ipairs(records) do
  out[n] = 0
  if new[n] then
    local at, owner = r.at, nil
    if ARGV[at + 2] ~= '' then owner = string.sub(ARGV[at + 2], 2) end
    redis.call('HSET', p .. 'key:' .. ARGV[at], unpack(cjson.decode(ARGV[r.pairs])))
    local all, live = indexes(owner, ARGV[at + 4])
    for _, k in ipairs(all) do add(k, ARGV[at + 1]) end
    if ARGV[at + 3] == '0' then for _, k in ipairs(live) do add(k, ARGV[at + 1]) end end
    for _, a in ipairs(r.audits) do
      table.insert(audits, string.sub(ARGV[a], 17))
      table.insert(audits, ARGV[a + 1])
      for x = a + 3, a + 2 + tonumber(ARGV[a + 2]) do add(ARGV[x], ARGV[a]) end
    end
    redis.call('PUBLISH', ARGV[2], ARGV[at])
    out[n] = 1
  end
end
if #audits > 0 then batched('HSET', ARGV[3], audits) end
for k, list in pairs(adds) do batched('ZADD', k, list) end
return out
`

/**
 * KEYS[1] record, KEYS[2…] the audit hash and indexes (optional); ARGV: prefix, channel, id,
 * expected revision ('' = any), #set, #del, audit member, audit JSON, set pairs…, del fields…
 * → the record as HGETALL pairs, nil (missing id or other revision), or -1 (nothing changed) when
 * the audit id exists.
 */
export const UPDATE = `${INDEX_HELPERS}${AUDIT_HELPERS}
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
if ARGV[4] ~= '' and redis.call('HGET', KEYS[1], 'revision') ~= ARGV[4] then return nil end
if audit_taken(2, ARGV[7]) then return -1 end
local nset = tonumber(ARGV[5])
local ndel = tonumber(ARGV[6])
if nset > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 9, 8 + 2 * nset)) end
if ndel > 0 then redis.call('HDEL', KEYS[1], unpack(ARGV, 9 + 2 * nset, 8 + 2 * nset + ndel)) end
redis.call('HINCRBY', KEYS[1], 'revision', 1)
audit_write(2, ARGV[7], ARGV[8])
local state = redis.call('HMGET', KEYS[1], '_m', 'ownerId', 'revokedAt', 'prefix')
local owner = nil
if state[2] then owner = state[2] end
local _, live = indexes(owner, state[4])
for _, k in ipairs(live) do
  if state[3] then redis.call('ZREM', k, state[1]) else redis.call('ZADD', k, 0, state[1]) end
end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return redis.call('HGETALL', KEYS[1])
`

/**
 * KEYS[1] record, KEYS[2…] the audit hash and indexes (optional); ARGV: prefix, channel, id, audit
 * member, audit JSON → 1 when it existed, else 0; -1 (nothing changed) when the audit id exists.
 */
export const DELETE = `${INDEX_HELPERS}${AUDIT_HELPERS}
local state = redis.call('HMGET', KEYS[1], '_m', 'ownerId', 'prefix')
if not state[1] then return 0 end
if audit_taken(2, ARGV[4]) then return -1 end
redis.call('DEL', KEYS[1])
audit_write(2, ARGV[4], ARGV[5])
local owner = nil
if state[2] then owner = state[2] end
local all, live = indexes(owner, state[3])
for _, k in ipairs(all) do redis.call('ZREM', k, state[1]) end
for _, k in ipairs(live) do redis.call('ZREM', k, state[1]) end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`

/**
 * Schema 1 → 2: put up to ARGV[3] records, after member ARGV[2] ('+' first) in idx:all, into the
 * indexes of their deployment prefix. → the last member done, or '' after the last one. Idempotent.
 */
export const INDEX_BY_PREFIX = `${INDEX_HELPERS}
local members = redis.call('ZREVRANGEBYLEX', p .. 'idx:all', ARGV[2], '-', 'LIMIT', 0, tonumber(ARGV[3]))
for _, m in ipairs(members) do
  local state = redis.call('HMGET', p .. 'key:' .. string.sub(m, 17), 'ownerId', 'revokedAt', 'prefix')
  if state[3] then
    local all, live = indexes(state[1], state[3])
    for _, k in ipairs(all) do redis.call('ZADD', k, 0, m) end
    if not state[2] then for _, k in ipairs(live) do redis.call('ZADD', k, 0, m) end end
  end
end
if #members < tonumber(ARGV[3]) then return '' end
return '(' .. members[#members]
`

/** ARGV: prefix, index key, max (lex, exclusive '(' or '+'), count → HGETALL pairs of each record, newest first. */
export const LIST = `
local p = ARGV[1]
local members = redis.call('ZREVRANGEBYLEX', p .. ARGV[2], ARGV[3], '-', 'LIMIT', 0, tonumber(ARGV[4]))
local out = {}
for _, m in ipairs(members) do
  local id = string.sub(m, 17)
  local h = redis.call('HGETALL', p .. 'key:' .. id)
  if #h > 0 then out[#out + 1] = h end
end
return out
`

/**
 * ARGV: prefix, then id, epoch ms, client address ('a' + address, '' = unknown) triples → keeps the
 * later last-used time of existing records, with the address of that use (cleared when unknown).
 */
export const TOUCH = `
local p = ARGV[1]
for i = 2, #ARGV, 3 do
  local k = p .. 'key:' .. ARGV[i]
  if redis.call('EXISTS', k) == 1 then
    local cur = redis.call('HGET', k, 'lastUsedAt')
    if (not cur) or tonumber(cur) < tonumber(ARGV[i + 1]) then
      redis.call('HSET', k, 'lastUsedAt', ARGV[i + 1])
      if ARGV[i + 2] == '' then redis.call('HDEL', k, 'lastUsedFrom')
      else redis.call('HSET', k, 'lastUsedFrom', string.sub(ARGV[i + 2], 2)) end
    end
  end
end
return #ARGV
`

/**
 * KEYS[1] counter; ARGV: amount, time to live (ms, from the caller's clock) → count. The time to live
 * is only ever extended: `charge` keeps a slot one window longer for sliding limits.
 */
export const INCREMENT = `
local c = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return c
`

/**
 * KEYS[1] record; ARGV: cost, now → { ok 1/0, remaining, next refill or '' } (numbers as strings, so
 * fractions survive), or nil without credits. The rule of spendFromCredits.
 */
export const SPEND = `${CREDITS_HELPERS}
local raw = redis.call('HGET', KEYS[1], 'credits')
if not raw then return nil end
local ok, remaining, json, nextAt = spend_credits(raw, tonumber(ARGV[1]), tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'credits', json)
local next = ''
if nextAt then next = num(nextAt) end
if ok then return { 1, num(remaining), next } end
return { 0, num(remaining), next }
`

/** KEYS[1] schema marker; ARGV: from, to → 1 when the marker moved from `from` to `to`, else 0. */
export const SET_SCHEMA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`
