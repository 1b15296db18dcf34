import type { ApiKeyRecord } from '../types.js'

const HEX_DIGEST_RE = /^[0-9a-f]{64}$/
const ALGORITHMS = new Set([
  'sha256',
  'hmac-sha256',
  'legacy-sha256',
  'legacy-prefixed-api-key',
  'legacy-bcrypt',
  'legacy-scrypt',
  'legacy-argon2id',
  'legacy-pbkdf2',
])

const isDate = (value: unknown): value is Date => value instanceof Date && !Number.isNaN(value.getTime())
const isOptionalDate = (value: unknown): boolean => value === null || isDate(value)
const isOptionalString = (value: unknown): boolean => value === null || typeof value === 'string'
const isCount = (value: unknown): boolean => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0

function isRateLimit(value: unknown): boolean {
  if (value === null) return true
  const limit = value as { limit?: unknown; windowMs?: unknown } | undefined
  return typeof limit === 'object' && isCount(limit.limit) && isCount(limit.windowMs)
}

function isCredits(value: unknown): boolean {
  if (value === null) return true
  const credits = value as { remaining?: unknown; refill?: unknown } | undefined
  if (typeof credits !== 'object' || typeof credits.remaining !== 'number') return false
  const refill = credits.refill as { amount?: unknown; intervalMs?: unknown } | null | undefined
  return refill === undefined || refill === null || (typeof refill === 'object' && isCount(refill.amount) && isCount(refill.intervalMs))
}

const isStringList = (value: unknown): boolean => Array.isArray(value) && value.every((item) => typeof item === 'string')

function isNamedLimits(value: unknown): boolean {
  if (value === null) return true
  return (
    Array.isArray(value) &&
    value.every(
      (limit: { name?: unknown; algorithm?: unknown } | null) =>
        isRateLimit(limit) &&
        typeof limit?.name === 'string' &&
        (limit.algorithm === undefined || limit.algorithm === 'fixed' || limit.algorithm === 'sliding'),
    )
  )
}

/**
 * The access-rule fields of a record from a store written before they existed read as "no rule"
 * (a store that keeps them returns them: the conformance suite checks the round trip).
 */
function withRuleDefaults(r: Record<string, unknown>): void {
  r.rateLimits ??= null
  r.notBefore ??= null
  r.roles ??= []
  r.allowedIps ??= null
  r.importedAt ??= null
  r.legacyHash ??= null
}

/**
 * Whether a store returned a record Keyward can act on: every field of the right type, dates valid,
 * the digest 64 lowercase hex characters, and the id the one asked for. Anything else is a broken
 * store (or a tampered row), and Keyward fails closed on it rather than guessing.
 */
export function isWellFormedRecord(record: unknown, id: string): record is ApiKeyRecord {
  if (record === null || typeof record !== 'object') return false
  const r = record as Record<keyof ApiKeyRecord, unknown>
  withRuleDefaults(r)
  return (
    r.id === id &&
    typeof r.prefix === 'string' &&
    typeof r.digest === 'string' &&
    HEX_DIGEST_RE.test(r.digest) &&
    ALGORITHMS.has(r.algorithm as string) &&
    isOptionalString(r.pepperId) &&
    typeof r.hint === 'string' &&
    typeof r.name === 'string' &&
    isOptionalString(r.ownerId) &&
    Array.isArray(r.scopes) &&
    r.scopes.every((scope) => typeof scope === 'string') &&
    typeof r.metadata === 'object' &&
    r.metadata !== null &&
    isDate(r.createdAt) &&
    isDate(r.updatedAt) &&
    isOptionalDate(r.expiresAt) &&
    isOptionalDate(r.disabledAt) &&
    isOptionalDate(r.revokedAt) &&
    isOptionalDate(r.lastUsedAt) &&
    isOptionalString(r.rotatedFromId) &&
    isOptionalString(r.rotatedToId) &&
    isRateLimit(r.rateLimit) &&
    isCredits(r.credits) &&
    isNamedLimits(r.rateLimits) &&
    isOptionalDate(r.notBefore) &&
    isStringList(r.roles) &&
    (r.allowedIps === null || isStringList(r.allowedIps)) &&
    isOptionalDate(r.importedAt) &&
    isOptionalString(r.legacyHash) &&
    isCount(r.revision)
  )
}
