import { InvalidInputError } from './errors.js'
import { isValidScope } from './scopes.js'
import type { Credits, Metadata, RateLimit } from './types.js'

const MAX_NAME_LENGTH = 100
const MAX_SCOPES = 100
const MAX_METADATA_BYTES = 8 * 1024
const MAX_METADATA_DEPTH = 8
const MAX_OWNER_ID_LENGTH = 200
/** 9999-12-31T23:59:59.999Z: every store keeps dates up to here (PostgreSQL's timestamptz and JS Dates go further). */
const MAX_DATE_MS = 253_402_300_799_999
/** Control characters and line separators, refused in names, ids and audit actors. */
export const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/
const LONE_SURROGATE_RE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

export function validateName(name: unknown): string {
  if (typeof name !== 'string') throw new InvalidInputError('name', 'is required and must be a string')
  const trimmed = name.trim()
  if (trimmed.length === 0) throw new InvalidInputError('name', 'is required: describe the integration, like "CRM sync"')
  if (trimmed.length > MAX_NAME_LENGTH)
    throw new InvalidInputError('name', `must be at most ${MAX_NAME_LENGTH} characters, got ${trimmed.length}`)
  if (CONTROL_RE.test(trimmed) || LONE_SURROGATE_RE.test(trimmed))
    throw new InvalidInputError('name', 'must not contain control characters')
  return trimmed
}

export function validateOwnerId(ownerId: unknown): string | null {
  if (ownerId === undefined || ownerId === null) return null
  if (typeof ownerId !== 'string' || ownerId.length === 0 || ownerId.length > MAX_OWNER_ID_LENGTH)
    throw new InvalidInputError('ownerId', `must be a string of 1–${MAX_OWNER_ID_LENGTH} characters`)
  if (CONTROL_RE.test(ownerId) || LONE_SURROGATE_RE.test(ownerId))
    throw new InvalidInputError('ownerId', 'must not contain control characters')
  return ownerId
}

export function validateScopes(scopes: unknown, field = 'scopes'): string[] {
  if (scopes === undefined) return []
  if (!Array.isArray(scopes)) throw new InvalidInputError(field, 'must be an array of strings')
  if (scopes.length > MAX_SCOPES) throw new InvalidInputError(field, `must hold at most ${MAX_SCOPES} scopes`)
  scopes.forEach((scope, index) => {
    if (!isValidScope(scope))
      throw new InvalidInputError(
        `${field}[${index}]`,
        // The value is not echoed: whatever was pasted here (even a key) must not come back in an error.
        'must match ^[a-z0-9_.:*-]+$ and be at most 100 characters, like "messages:send" or "contacts:*"',
      )
  })
  return [...new Set(scopes as string[])]
}

function checkJson(value: unknown, path: string, depth: number): void {
  if (depth > MAX_METADATA_DEPTH) throw new InvalidInputError(path, `is nested deeper than ${MAX_METADATA_DEPTH} levels`)
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidInputError(path, 'must be a finite number')
    return
  }
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) checkJson(item, `${path}[${index}]`, depth + 1)
    return
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) checkJson(item, `${path}.${key}`, depth + 1)
    return
  }
  throw new InvalidInputError(path, 'must be JSON: plain objects, arrays, strings, finite numbers, booleans or null')
}

export function validateMetadata(metadata: unknown): Metadata {
  if (metadata === undefined) return {}
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))
    throw new InvalidInputError('metadata', 'must be a plain JSON object')
  checkJson(metadata, 'metadata', 0)
  const json = JSON.stringify(metadata)
  const bytes = new TextEncoder().encode(json).length
  if (bytes > MAX_METADATA_BYTES)
    throw new InvalidInputError('metadata', `must be at most ${MAX_METADATA_BYTES} bytes as JSON, got ${bytes}`)
  return JSON.parse(json) as Metadata
}

/** A future date or null (no expiry). Accepts a `Date` or epoch milliseconds. */
export function validateExpiresAt(expiresAt: unknown, now: number): Date | null {
  if (expiresAt === undefined || expiresAt === null) return null
  const ms = expiresAt instanceof Date ? expiresAt.getTime() : typeof expiresAt === 'number' ? expiresAt : Number.NaN
  if (!Number.isFinite(ms) || ms > MAX_DATE_MS)
    throw new InvalidInputError('expiresAt', 'must be a valid Date or epoch milliseconds, before the year 10000')
  if (ms <= now) throw new InvalidInputError('expiresAt', 'must be in the future')
  return new Date(ms)
}

function positiveInteger(value: unknown, field: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max)
    throw new InvalidInputError(field, `must be an integer from 1 to ${max}`)
  return value
}

export function validateDuration(value: unknown, field: string, { min = 0, max = 365 * 86_400_000 } = {}): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new InvalidInputError(field, `must be a whole number of milliseconds from ${min} to ${max}`)
  return value
}

export function validateRateLimit(rateLimit: unknown, field = 'rateLimit'): RateLimit | null {
  if (rateLimit === undefined || rateLimit === null) return null
  if (typeof rateLimit !== 'object') throw new InvalidInputError(field, 'must be { limit, windowMs } or null')
  const { limit, windowMs } = rateLimit as Record<string, unknown>
  return {
    limit: positiveInteger(limit, `${field}.limit`),
    windowMs: validateDuration(windowMs, `${field}.windowMs`, { min: 1 }),
  }
}

export function validateCredits(credits: unknown): Credits | null {
  if (credits === undefined || credits === null) return null
  if (typeof credits !== 'object') throw new InvalidInputError('credits', 'must be { remaining, refill? } or null')
  const { remaining, refill } = credits as Record<string, unknown>
  if (typeof remaining !== 'number' || !Number.isInteger(remaining) || remaining < 0)
    throw new InvalidInputError('credits.remaining', 'must be a whole number, 0 or more')
  if (refill === undefined || refill === null) return { remaining, refill: null }
  if (typeof refill !== 'object') throw new InvalidInputError('credits.refill', 'must be { amount, intervalMs } or null')
  const { amount, intervalMs } = refill as Record<string, unknown>
  return {
    remaining,
    refill: {
      amount: positiveInteger(amount, 'credits.refill.amount'),
      intervalMs: validateDuration(intervalMs, 'credits.refill.intervalMs', { min: 1 }),
    },
  }
}

/**
 * Throws unless `value` is undefined or a plain object whose keys are all in `known`; used for
 * option bags. An unknown key (`expires` for `expiresAt`) is refused rather than ignored, so a
 * misspelt limit or expiry never yields a key without it.
 */
export function validateOptionsBag(value: unknown, field: string, known: readonly string[]): Record<string, unknown> {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidInputError(field, 'must be an object')
  for (const key of Object.keys(value))
    if (!known.includes(key))
      throw new InvalidInputError(
        `${field}.${fieldName(key)}`,
        `is not a known field; expected ${known.map((name) => `"${name}"`).join(', ')}`,
      )
  return value as Record<string, unknown>
}

/** A caller-supplied field name fit for an error message: short, printable, nothing key-like echoed whole. */
function fieldName(key: string): string {
  const printable = /^[A-Za-z0-9_$-]{1,40}$/.test(key)
  return printable ? key : `(a ${key.length}-character name)`
}
