import { CREDITS_HELPERS } from './lua-credits.js'

/**
 * Lua scripts of records, indexes and counters. Each touches the keys of one slot only, all of them
 * in KEYS (as Redis Cluster requires): a change that spans slots is a sequence of these steps, in an
 * order that is safe when cut off (see `writes.ts`).
 */

/**
 * The scripts that write a record (INSERT, UPDATE, DELETE) and PUT_OWNER take ARGV[1] channel, ARGV[2]
 * message first: when the write happens they `PUBLISH` the message on the channel ('' = publish
 * nothing) in the same step. A classic channel is no key, so any slot's script may publish on it;
 * sharded pub/sub's channel has a slot, and its `SPUBLISH` runs in a CONTROL step right after.
 */
const PUBLISH_HERE = `if ARGV[1] ~= '' then redis.call('PUBLISH', ARGV[1], ARGV[2]) end`

/** KEYS[1] record; ARGV: channel, message, field/value pairs → 1, or 0 (nothing written) when the id exists. */
export const INSERT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
${PUBLISH_HERE}
return 1
`

/**
 * KEYS[1] record; ARGV: channel, message, expected revision ('' = any), #set, #del, set pairs…, del
 * fields… → the record as HGETALL pairs, or nil (missing id or other revision).
 */
export const UPDATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
if ARGV[3] ~= '' and redis.call('HGET', KEYS[1], 'revision') ~= ARGV[3] then return nil end
local nset, ndel = tonumber(ARGV[4]), tonumber(ARGV[5])
if nset > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 6, 5 + 2 * nset)) end
if ndel > 0 then redis.call('HDEL', KEYS[1], unpack(ARGV, 6 + 2 * nset, 5 + 2 * nset + ndel)) end
redis.call('HINCRBY', KEYS[1], 'revision', 1)
${PUBLISH_HERE}
return redis.call('HGETALL', KEYS[1])
`

/** KEYS[1] record; ARGV: channel, message → the record as HGETALL pairs before it was deleted (none when missing). */
export const DELETE = `
local h = redis.call('HGETALL', KEYS[1])
if #h > 0 then
  redis.call('DEL', KEYS[1])
  ${PUBLISH_HERE}
end
return h
`

/**
 * KEYS[1] record; ARGV: epoch ms, client address ('a' + address, '' = unknown) → keeps the later
 * last-used time of an existing record, with the address of that use (cleared when unknown).
 */
export const TOUCH = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local cur = redis.call('HGET', KEYS[1], 'lastUsedAt')
if cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'lastUsedAt', ARGV[1])
if ARGV[2] == '' then redis.call('HDEL', KEYS[1], 'lastUsedFrom')
else redis.call('HSET', KEYS[1], 'lastUsedFrom', string.sub(ARGV[2], 2)) end
return 1
`

/**
 * An owner's slot after a change of one of its keys. KEYS: rev (id → revision written), cap, cap:res,
 * then ARGV[6] "all" indexes, then the "live" indexes. ARGV: id, member, revision, state ('live',
 * 'dead' = revoked or not counted, 'gone' = deleted), cap score (expiry ms or '+inf'), #all, force
 * ('1' for an insert). Writes the key's whole index state unless a later revision was written (or
 * it was deleted) → 1, or 0 when skipped. Ends the key's reservation of a capped insert.
 */
export const OWNER_SYNC = `
local id, m, rev, state = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local n = tonumber(ARGV[6])
redis.call('ZREM', KEYS[3], id)
if state == 'gone' then
  redis.call('HSET', KEYS[1], id, 'del')
elseif ARGV[7] ~= '1' then
  local cur = redis.call('HGET', KEYS[1], id)
  if cur == 'del' or (cur and tonumber(cur) > tonumber(rev)) then return 0 end
  redis.call('HSET', KEYS[1], id, rev)
else
  redis.call('HSET', KEYS[1], id, rev)
end
for i = 4, 3 + n do
  if state == 'gone' then redis.call('ZREM', KEYS[i], m) else redis.call('ZADD', KEYS[i], 0, m) end
end
for i = 4 + n, #KEYS do
  if state == 'live' then redis.call('ZADD', KEYS[i], 0, m) else redis.call('ZREM', KEYS[i], m) end
end
if state == 'live' then redis.call('ZADD', KEYS[2], ARGV[5], id) else redis.call('ZREM', KEYS[2], id) end
return 1
`

/**
 * Reserve a place for a capped insert. KEYS: the owner's cap, cap:res; ARGV: id, max live keys, now
 * (epoch ms, the caller's), reservation lifetime (ms, on the server's clock) → 1 reserved, 0 when the
 * live keys (not revoked, expiring after now) and reservations in flight already reach max.
 */
export const RESERVE_CAP = `
local t = redis.call('TIME')
local clock = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', clock)
local max = tonumber(ARGV[2])
if max <= 0 then return 0 end
if redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[3], '+inf') + redis.call('ZCARD', KEYS[2]) >= max then return 0 end
redis.call('ZADD', KEYS[2], clock + tonumber(ARGV[4]), ARGV[1])
return 1
`

/**
 * The control slot's part of a change: index, audit and usage-index writes, change messages of
 * sharded pub/sub. KEYS: the change channel, then every key the ops name (by position); ARGV: ops
 * JSON: a list of { 'z', k, member } (ZADD), { 'r', k, member } (ZREM), { 'h', k, field, value }
 * (HSET), { 'u', k, field } (HDEL of a reservation: only while its value is ''), { 's', k, member }
 * (SADD), { 'p', id } (SPUBLISH on the channel).
 */
export const CONTROL = `
for _, op in ipairs(cjson.decode(ARGV[1])) do
  local c = op[1]
  if c == 'z' then redis.call('ZADD', KEYS[op[2]], 0, op[3])
  elseif c == 'r' then redis.call('ZREM', KEYS[op[2]], op[3])
  elseif c == 'h' then redis.call('HSET', KEYS[op[2]], op[3], op[4])
  elseif c == 'u' then if redis.call('HGET', KEYS[op[2]], op[3]) == '' then redis.call('HDEL', KEYS[op[2]], op[3]) end
  elseif c == 's' then redis.call('SADD', KEYS[op[2]], op[3])
  elseif c == 'p' then redis.call('SPUBLISH', KEYS[1], op[2]) end
end
return 1
`

/**
 * Reserve audit ids before the change they record. KEYS[1] audit hash; ARGV: ids → '' when every id
 * was free (each now holds '' until its entry is written), else the first taken id (none reserved).
 */
export const RESERVE_AUDIT = `
local seen = {}
for _, id in ipairs(ARGV) do
  if seen[id] or redis.call('HEXISTS', KEYS[1], id) == 1 then return id end
  seen[id] = true
end
for _, id in ipairs(ARGV) do redis.call('HSET', KEYS[1], id, '') end
return ''
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
