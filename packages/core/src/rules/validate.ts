import { InvalidInputError } from '../errors.js'
import type { RoleTable } from '../scopes.js'
import type { NamedRateLimit } from '../rules-types.js'
import { validateRateLimit } from '../validate.js'

const LIMIT_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/
const MAX_NAMED_LIMITS = 10
const MAX_ROLES = 20
const MAX_DATE_MS = 253_402_300_799_999

/** Whether `name` may name a limit (and a `cost` entry): `^[a-z0-9][a-z0-9_-]{0,31}$`, not `credits`. */
export function isLimitName(name: unknown): name is string {
  return typeof name === 'string' && LIMIT_NAME_RE.test(name) && name !== 'credits'
}

/**
 * Named limits, or null for none: at most 10, names unique. A limit named `default` is the single
 * `rateLimit` (so both may not be given).
 */
export function validateRateLimits(input: unknown, field = 'rateLimits'): NamedRateLimit[] | null {
  if (input === undefined || input === null) return null
  if (!Array.isArray(input)) throw new InvalidInputError(field, 'must be an array of { name, limit, windowMs, algorithm? } or null')
  if (input.length > MAX_NAMED_LIMITS) throw new InvalidInputError(field, `must hold at most ${MAX_NAMED_LIMITS} limits`)
  const seen = new Set<string>()
  return input.map((item: unknown, index) => {
    const at = `${field}[${index}]`
    if (item === null || typeof item !== 'object' || Array.isArray(item))
      throw new InvalidInputError(at, 'must be { name, limit, windowMs, algorithm? }')
    const { name, algorithm, ...rest } = item as Record<string, unknown>
    if (!isLimitName(name)) throw new InvalidInputError(`${at}.name`, 'must match ^[a-z0-9][a-z0-9_-]{0,31}$ and not be "credits"')
    if (seen.has(name)) throw new InvalidInputError(`${at}.name`, `"${name}" is given twice`)
    seen.add(name)
    if (algorithm !== undefined && algorithm !== 'fixed' && algorithm !== 'sliding')
      throw new InvalidInputError(`${at}.algorithm`, 'must be "fixed" or "sliding"')
    for (const key of Object.keys(rest))
      if (key !== 'limit' && key !== 'windowMs') throw new InvalidInputError(at, 'has a field other than name, limit, windowMs, algorithm')
    const { limit, windowMs } = validateRateLimit(rest, at)!
    return algorithm === undefined ? { name, limit, windowMs } : { name, limit, windowMs, algorithm }
  })
}

/** A start time or null. Accepts a `Date` or epoch milliseconds; may be in the past. */
export function validateNotBefore(input: unknown): Date | null {
  if (input === undefined || input === null) return null
  const ms = input instanceof Date ? input.getTime() : typeof input === 'number' ? input : Number.NaN
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_DATE_MS)
    throw new InvalidInputError('notBefore', 'must be a valid Date or epoch milliseconds, before the year 10000')
  return new Date(ms)
}

/** Role names configured in `createKeyward({ roles })`, each once. */
export function validateRoles(input: unknown, table: RoleTable): string[] {
  if (input === undefined || input === null) return []
  if (!Array.isArray(input)) throw new InvalidInputError('roles', 'must be an array of role names')
  if (input.length > MAX_ROLES) throw new InvalidInputError('roles', `must hold at most ${MAX_ROLES} roles`)
  for (const [index, role] of input.entries())
    if (typeof role !== 'string' || !table.has(role))
      throw new InvalidInputError(
        `roles[${index}]`,
        table.size === 0
          ? 'names no role: no roles are configured (createKeyward({ roles }))'
          : `must be one of the configured roles: ${[...table.keys()].map((r) => `"${r}"`).join(', ')}`,
      )
  return [...new Set(input as string[])]
}

/**
 * Check `createKeyward({ roles })`: role names like limit names, each a list of valid scopes.
 * A mistake here is a configuration error (TypeError at start-up).
 */
export function compileRoles(roles: unknown, checkScopes: (scopes: unknown, field: string) => string[]): RoleTable {
  if (roles === undefined) return new Map()
  if (roles === null || typeof roles !== 'object' || Array.isArray(roles))
    throw new TypeError('roles must be an object of role name → scopes, like { reader: ["contacts:read"] }')
  const table = new Map<string, readonly string[]>()
  for (const [name, scopes] of Object.entries(roles)) {
    if (!LIMIT_NAME_RE.test(name))
      throw new TypeError(`role name ${JSON.stringify(name.slice(0, 40))} must match ^[a-z0-9][a-z0-9_-]{0,31}$`)
    try {
      table.set(name, Object.freeze(checkScopes(scopes, `roles.${name}`)))
    } catch (error) {
      throw new TypeError(`roles.${name}: ${(error as Error).message}`)
    }
  }
  return table
}
