import type { ApiKeyPatch, ApiKeyRecord } from '@keyward/core/store'

/**
 * One Redis hash per key. Every field is a string; an absent field is null. Dates are epoch
 * milliseconds; arrays and objects are JSON. `_m` is the record's member in the sorted-set indexes.
 * A field a record of an older release lacks (`rateLimits`, `notBefore`, `roles`, `allowedIps`,
 * `importedAt`, `legacyHash`) reads as its default (null, or `[]` for `roles`), so records need no
 * migration when fields are added. `algorithm` is kept as written (core checks it on read).
 */
export type KeyHash = Record<string, string>

/** The sorted-set member of a record: zero-padded createdAt, then the id, so lex order is list order. */
export const member = (createdAt: number, id: string): string => `${String(createdAt).padStart(15, '0')}:${id}`

const DATE_FIELDS = ['createdAt', 'updatedAt', 'expiresAt', 'disabledAt', 'revokedAt', 'lastUsedAt', 'notBefore', 'importedAt'] as const
const JSON_FIELDS = ['scopes', 'metadata', 'rateLimit', 'rateLimits', 'credits', 'roles', 'allowedIps'] as const
const TEXT_FIELDS = [
  'id',
  'prefix',
  'digest',
  'algorithm',
  'pepperId',
  'hint',
  'name',
  'ownerId',
  'rotatedFromId',
  'rotatedToId',
  'legacyHash',
] as const

function encodeValue(field: string, value: unknown): string {
  if (value instanceof Date) return String(value.getTime())
  if ((JSON_FIELDS as readonly string[]).includes(field)) return JSON.stringify(value)
  return String(value)
}

/** Field/value pairs of a new record (null fields omitted). */
export function recordToPairs(record: ApiKeyRecord): string[] {
  const pairs: string[] = []
  for (const [field, value] of Object.entries(record))
    if (value !== null && value !== undefined) pairs.push(field, encodeValue(field, value))
  pairs.push('_m', member(record.createdAt.getTime(), record.id))
  return pairs
}

/** The fields a patch sets and the fields it clears. */
export function patchToChanges(patch: ApiKeyPatch): { set: string[]; del: string[] } {
  const set: string[] = []
  const del: string[] = []
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue
    if (value === null) del.push(field)
    else set.push(field, encodeValue(field, value))
  }
  return { set, del }
}

/** HGETALL as flat pairs (from a script) → an object. */
export function pairsToHash(pairs: string[]): KeyHash {
  const hash: KeyHash = {}
  for (let i = 0; i + 1 < pairs.length; i += 2) hash[pairs[i]!] = pairs[i + 1]!
  return hash
}

export function hashToRecord(h: KeyHash): ApiKeyRecord | null {
  if (h.id === undefined) return null
  const record: Record<string, unknown> = { revision: Number(h.revision ?? 0) }
  for (const f of TEXT_FIELDS) record[f] = h[f] ?? null
  for (const f of DATE_FIELDS) record[f] = h[f] === undefined ? null : new Date(Number(h[f]))
  for (const f of JSON_FIELDS) record[f] = h[f] === undefined ? null : JSON.parse(h[f])
  // Records written before a field existed lack it and read back with its default: no migration needed.
  record.scopes ??= []
  record.metadata ??= {}
  record.roles ??= []
  // Present only when an address is stored (never null), as the KeyStore contract asks.
  if (h.lastUsedFrom !== undefined) record.lastUsedFrom = h.lastUsedFrom
  return record as unknown as ApiKeyRecord
}
