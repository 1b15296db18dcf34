/**
 * Lua shared by the scripts that spend credits: the rule of `spendFromCredits` (core/src/credits.ts)
 * on a stored credits JSON. Numbers are written with `%.17g`, which round-trips every double (cjson
 * keeps only 14 significant digits).
 */
export const CREDITS_HELPERS = `
local function num(x) return string.format('%.17g', x) end
-- The credits JSON to store.
local function credits_json(remaining, refill, refilledAt)
  local json = '{"remaining":' .. num(remaining) .. ',"refill":'
  if type(refill) == 'table' then
    json = json .. '{"amount":' .. num(refill.amount) .. ',"intervalMs":' .. num(refill.intervalMs) .. '}'
  else
    json = json .. 'null'
  end
  if refilledAt ~= nil and refilledAt ~= cjson.null then json = json .. ',"refilledAt":' .. num(refilledAt) end
  return json .. '}'
end
-- → whether cost was spent, the credits left, the credits JSON to store, the next refill (nil without refill).
local function spend_credits(raw, cost, now)
  local c = cjson.decode(raw)
  local remaining = c.remaining
  local refill = c.refill
  local refilledAt = c.refilledAt
  if refilledAt == cjson.null then refilledAt = nil end
  local hasRefill = type(refill) == 'table'
  if hasRefill then
    local last = refilledAt or now
    if now >= last + refill.intervalMs then
      remaining = refill.amount
      refilledAt = last + math.floor((now - last) / refill.intervalMs) * refill.intervalMs
    else
      refilledAt = last
    end
  end
  local ok = remaining >= cost
  if ok then remaining = remaining - cost end
  local nextAt = nil
  if hasRefill then nextAt = refilledAt + refill.intervalMs end
  return ok, remaining, credits_json(remaining, refill, refilledAt), nextAt
end
`
