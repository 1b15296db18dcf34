import type { NamedRateLimit } from './rules-types.js'
import { compileRoles, validateRateLimits } from './rules/validate.js'
import type { RoleTable } from './scopes.js'
import { validateScopes } from './validate.js'
import type { ThrottleOptions } from './limits.js'
import type { RateLimit } from './types.js'
import { validateRateLimit } from './validate.js'

/** A rate limit given in the options, or a `TypeError` saying what is wrong. */
export function configRateLimit(value: unknown): RateLimit {
  try {
    return validateRateLimit(value)!
  } catch (error) {
    throw new TypeError(`rateLimit ${(error as Error).message.replace(/^rateLimit\S*: /, '')}: expected { limit, windowMs }`)
  }
}

/** The `throttle` option, validated. */
export function configThrottle(value: unknown): false | ThrottleOptions | undefined {
  if (value === undefined || value === false) return value
  if (value === null || typeof value !== 'object') throw new TypeError('throttle must be false or { perSource?, perKey? }')
  const out: ThrottleOptions = {}
  for (const kind of ['perSource', 'perKey'] as const) {
    const limit = (value as ThrottleOptions)[kind]
    if (limit !== undefined) out[kind] = limit === false ? false : configRateLimit(limit)
  }
  return out
}

/** An integer option of at least `min`, or `fallback` when absent; `RangeError` otherwise. */
export function optionNumber(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw new RangeError(`${name} must be an integer of at least ${min}, got ${String(value)}`)
  return value
}

/** The `rateLimits` option (named defaults for every key), validated. */
export function configRateLimits(value: unknown): NamedRateLimit[] | null {
  try {
    return validateRateLimits(value)
  } catch (error) {
    throw new TypeError(`rateLimits: ${(error as Error).message}`)
  }
}

/** The `roles` option, validated: role name → scopes. */
export function configRoles(value: unknown): RoleTable {
  return compileRoles(value, (scopes, field) => {
    if (!Array.isArray(scopes)) throw new TypeError(`${field} must be an array of scopes`)
    return validateScopes(scopes, field)
  })
}
