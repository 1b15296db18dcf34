/**
 * Lua shared by the scripts that append audit entries. An entry is its JSON in the audit hash
 * (field = its id) and its member (`member(at, id)`: lex order is time then id) in each of its
 * sorted-set indexes. A script that audits a change gets, from KEYS[first] on, the audit hash and
 * the entry's indexes (none: no audit), and the entry's member and JSON in two ARGV slots.
 */
export const AUDIT_HELPERS = `
local function audit_taken(first, m)
  if #KEYS < first then return false end
  return redis.call('HEXISTS', KEYS[first], string.sub(m, 17)) == 1
end
local function audit_write(first, m, json)
  if #KEYS < first then return end
  redis.call('HSET', KEYS[first], string.sub(m, 17), json)
  for i = first + 1, #KEYS do redis.call('ZADD', KEYS[i], 0, m) end
end
`
