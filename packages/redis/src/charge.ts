import { counterWindow, InvalidInputError, type Charge, type ChargeResult, type ChargeState } from '@keyward/core/store'
import type { RedisConnection } from './connection.js'
import { ownerKey } from './owners.js'

/** Counter slots outlive the window after theirs by this much (the callers' clocks may differ a little). */
export const COUNTER_GRACE_MS = 1_000

/** The key of counter `name`'s slot for the window of `windowMs` that starts at `start`; shared with `incrementCounter`. */
export const counterKey = (ns: string, name: string, windowMs: number, start: number): string => `${ns}ctr:${name}@${windowMs}:${start}`

type ChargeReply = [number, ...(['c', number, string] | ['h', number, string, string] | ['n'])[]]

/**
 * `KeyStore.charge` on Redis: one `CHARGE` script call, so every counter and credit holder is read,
 * and written only when all admit, in one atomic step across connections.
 */
export async function chargeAll(conn: RedisConnection, ns: string, charges: Charge[], now: number): Promise<ChargeResult> {
  if (charges.length === 0) return { ok: true, states: [] }
  const keys: string[] = []
  const args: (string | number)[] = [now, COUNTER_GRACE_MS]
  const resets: number[] = []
  for (const [i, charge] of charges.entries()) {
    if (charge.type === 'counter') {
      // INCRBY takes integers: refuse anything else before the script, which must not fail half way.
      if (!Number.isSafeInteger(charge.amount) || charge.amount < 0)
        throw new InvalidInputError(`charges[${i}].amount`, 'must be a non-negative integer')
      const { start, resetAt } = counterWindow(now, charge.windowMs)
      keys.push(counterKey(ns, charge.name, charge.windowMs, start), counterKey(ns, charge.name, charge.windowMs, start - charge.windowMs))
      args.push('c', charge.amount, charge.limit, charge.windowMs, charge.algorithm === 'sliding' ? '1' : '0', resetAt)
      resets[i] = resetAt
    } else {
      keys.push(charge.holder === 'key' ? `${ns}key:${charge.id}` : ownerKey(ns, charge.id))
      args.push('h', charge.cost)
    }
  }
  const [ok, ...seen] = await conn.script<ChargeReply>('charge', 'request', 'CHARGE', keys, args)
  const states = seen.map((s, i): ChargeState => {
    if (s[0] === 'c') return { type: 'counter', ok: s[1] === 1, count: Number(s[2]), resetAt: resets[i]! }
    if (s[0] === 'h') return { type: 'credits', ok: s[1] === 1, remaining: Number(s[2]), nextRefillAt: s[3] === '' ? null : Number(s[3]) }
    return null
  })
  return { ok: ok === 1, states }
}
