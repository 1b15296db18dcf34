/**
 * `limits`: the rate limits and credits a tenant may give its keys here, within the operator's caps.
 * Without caps the fields do not exist in this API (a tenant must not raise its own budget); with
 * them, every key made here is capped, and a tenant can lower a budget but never lift it past a cap.
 */
import { validateRateLimits } from '../../rules/validate.js'
import type { NamedRateLimit } from '../../rules-types.js'
import { validateCredits, validateRateLimit } from '../../validate.js'
import type { Credits, RateLimit } from '../../types.js'
import { invalidInput } from './respond.js'

/** A cap on credits: at most `remaining` at a time, refilled no more (and no faster) than `refill`. */
interface CreditsCap {
  /** The most credits a key made here may hold. */
  remaining: number
  /**
   * The most generous refill allowed: at most `amount`, and no more per time than `amount` per
   * `intervalMs`. Without it, keys made here are never refilled.
   */
  refill?: { amount: number; intervalMs: number } | null
}

/** The caps of `keyManagementHandler`'s `limits` option. */
export interface KeyManagementLimits {
  /**
   * Lets a tenant set `rateLimit` on create and update, at most this: no more requests per window
   * than `limit`, and no more on average than `limit` per `windowMs`. A key created without one
   * gets this limit; `null` (no limit) is refused.
   * @example maxRateLimit: { limit: 600, windowMs: 60_000 }
   */
  maxRateLimit?: RateLimit
  /**
   * Lets a tenant set `credits` on create and update, within this cap. A key created without
   * credits gets the cap; `null` (unlimited) is refused; an update may lower what a key has left,
   * never raise it.
   * @example maxCredits: { remaining: 10_000, refill: { amount: 10_000, intervalMs: 86_400_000 } }
   */
  maxCredits?: CreditsCap
  /**
   * Lets a tenant set `rateLimits` (named limits beside `rateLimit`) on create and update, one cap
   * per name, in that name's unit (`tokens`, …). Every key made here holds each capped limit: at the
   * cap unless the tenant asks for less (same rule as `maxRateLimit`; a `sliding` cap binds the
   * algorithm too). A name without a cap is refused, so a tenant can never replace the operator's
   * `createKeyward({ rateLimits })` default of that name with a larger one.
   * @example maxRateLimits: [{ name: 'tokens', limit: 100_000, windowMs: 3_600_000 }]
   */
  maxRateLimits?: NamedRateLimit[]
}

/** Resolved caps; an absent cap means the field is refused. */
export interface LimitCaps {
  rateLimit: RateLimit | null
  credits: Credits | null
  /** Caps of named limits, by name; empty when `rateLimits` is refused. */
  rateLimits: NamedRateLimit[]
}

const LIMIT_NAMES = new Set(['maxRateLimit', 'maxCredits', 'maxRateLimits'])

/** Check `options.limits` once, with a `TypeError` naming what is wrong. */
export function resolveLimits(limits: unknown): LimitCaps {
  if (limits === undefined) return { rateLimit: null, credits: null, rateLimits: [] }
  if (limits === null || typeof limits !== 'object' || Array.isArray(limits))
    throw new TypeError('options.limits must be an object like { maxRateLimit: { limit, windowMs }, maxCredits: { remaining } }')
  for (const name of Object.keys(limits))
    if (!LIMIT_NAMES.has(name))
      throw new TypeError(`options.limits: unknown option "${name}": expected maxRateLimit, maxCredits, maxRateLimits`)
  const { maxRateLimit, maxCredits, maxRateLimits } = limits as KeyManagementLimits
  try {
    const named = maxRateLimits === undefined ? [] : nonNull(validateRateLimits(maxRateLimits, 'maxRateLimits'))
    if (named.some((cap) => cap.name === 'default')) throw new Error('maxRateLimits: name the default limit in maxRateLimit instead')
    return {
      rateLimit: maxRateLimit === undefined ? null : nonNull(validateRateLimit(maxRateLimit, 'maxRateLimit')),
      credits: maxCredits === undefined ? null : nonNull(validateCredits(maxCredits)),
      rateLimits: named,
    }
  } catch (error) {
    throw new TypeError(`options.limits: ${(error as Error).message}`)
  }
}

function nonNull<T>(value: T | null): T {
  if (value === null) throw new Error('a cap must be an object, not null')
  return value
}

/** No more per window than `cap`, and no faster on average: `a` per `aMs` against `b` per `bMs`. */
function withinRate(a: number, aMs: number, b: number, bMs: number): boolean {
  return a <= b && a * bMs <= b * aMs
}

/** The rate limit a tenant asked for (the cap when it asked for none), or 400. Core checks the shape first. */
export function cappedRateLimit(value: unknown, cap: RateLimit): RateLimit {
  if (value === undefined) return { ...cap }
  const asked = validateRateLimit(value)
  const allowed = `at most ${cap.limit} requests per ${cap.windowMs} ms here (and no more on average)`
  if (asked === null) throw invalidInput('rateLimit', `rateLimit: a key made here needs a rate limit, ${allowed}`)
  if (!withinRate(asked.limit, asked.windowMs, cap.limit, cap.windowMs)) throw invalidInput('rateLimit', `rateLimit: ${allowed}`)
  return asked
}

/**
 * The named limits a tenant asked for, each within its name's cap, with every capped name the
 * tenant left out at its cap; or 400. Core checks the shape first.
 */
export function cappedRateLimits(value: unknown, caps: readonly NamedRateLimit[]): NamedRateLimit[] {
  const asked = value === undefined ? [] : validateRateLimits(value)
  if (asked === null)
    throw invalidInput('rateLimits', `rateLimits: a key made here needs its limits (${caps.map((c) => c.name).join(', ')})`)
  const byName = new Map(asked.map((limit, index) => [limit.name, { limit, index }]))
  for (const { limit, index } of byName.values())
    if (!caps.some((cap) => cap.name === limit.name))
      throw invalidInput(
        `rateLimits[${index}].name`,
        `rateLimits[${index}].name: no limit of this name can be set here; expected ${caps.map((c) => `"${c.name}"`).join(', ')}`,
      )
  return caps.map((cap) => {
    const own = byName.get(cap.name)
    if (own === undefined) return { ...cap }
    const { limit, index } = own
    const algorithm = limit.algorithm ?? cap.algorithm
    if (!withinRate(limit.limit, limit.windowMs, cap.limit, cap.windowMs) || (cap.algorithm === 'sliding' && algorithm !== 'sliding'))
      throw invalidInput(
        `rateLimits[${index}]`,
        `rateLimits[${index}]: at most ${cap.limit} per ${cap.windowMs} ms here (and no more on average)` +
          (cap.algorithm === 'sliding' ? ', sliding' : ''),
      )
    return algorithm === undefined ? { name: cap.name, limit: limit.limit, windowMs: limit.windowMs } : { ...limit, algorithm }
  })
}

/** What a key has left now: a refill that fell due counts as done. */
function leftNow(current: Credits, now: number): number {
  const { refill, refilledAt } = current
  if (refill && refilledAt !== undefined && now >= refilledAt + refill.intervalMs) return refill.amount
  return current.remaining
}

/**
 * The credits a tenant asked for (the cap when it asked for none on create), or 400. `current` is
 * the key's credits on update: what it has left may be lowered, never raised.
 */
export function cappedCredits(value: unknown, cap: Credits, current: Credits | null | undefined, now: number): Credits {
  if (value === undefined) return { remaining: cap.remaining, refill: cap.refill ? { ...cap.refill } : null }
  const asked = validateCredits(value)
  if (asked === null) throw invalidInput('credits', `credits: a key made here needs credits, at most ${cap.remaining}`)
  if (asked.remaining > cap.remaining) throw invalidInput('credits.remaining', `credits.remaining: at most ${cap.remaining} here`)
  if (current) {
    const left = leftNow(current, now)
    if (asked.remaining > left)
      throw invalidInput('credits.remaining', `credits.remaining: can only be lowered here; this key has ${left} left`)
  }
  const refill = asked.refill ?? null
  if (refill !== null) {
    if (!cap.refill) throw invalidInput('credits.refill', 'credits.refill: keys made here are not refilled; send null')
    if (!withinRate(refill.amount, refill.intervalMs, cap.refill.amount, cap.refill.intervalMs))
      throw invalidInput(
        'credits.refill',
        `credits.refill: at most ${cap.refill.amount} every ${cap.refill.intervalMs} ms here (and no more on average)`,
      )
  }
  return { remaining: asked.remaining, refill }
}
