import { effectiveScopes, type RoleTable } from '../scopes.js'
import type { ApiKeyInfo, ApiKeyRecord, ApiKeyStatus, ScopeGrant } from '../types.js'

const NO_ROLES: RoleTable = new Map()

/**
 * The public view of a record: everything but the digest, in fresh objects throughout, so nothing a
 * caller changes reaches the record. `effectiveScopes` come from `roles` and, when given (at
 * verification), the owner's scopes.
 */
export function toInfo<S extends string>(
  record: ApiKeyRecord,
  now: number,
  roles = NO_ROLES,
  ownerScopes: readonly string[] | null = null,
): ApiKeyInfo<S> {
  return {
    id: record.id,
    prefix: record.prefix,
    hint: record.hint,
    redacted: `${record.prefix}_${record.id.slice(0, 4)}…${record.hint}`,
    name: record.name,
    ownerId: record.ownerId,
    scopes: [...record.scopes] as ScopeGrant<S>[],
    roles: [...record.roles],
    effectiveScopes: effectiveScopes(record.scopes, record.roles, roles, ownerScopes) as ScopeGrant<S>[],
    metadata: structuredClone(record.metadata),
    status: statusOf(record, now),
    createdAt: copyDate(record.createdAt),
    updatedAt: copyDate(record.updatedAt),
    expiresAt: copyDate(record.expiresAt),
    disabledAt: copyDate(record.disabledAt),
    revokedAt: copyDate(record.revokedAt),
    lastUsedAt: copyDate(record.lastUsedAt),
    lastUsedFrom: record.lastUsedFrom ?? null,
    rotatedFromId: record.rotatedFromId,
    rotatedToId: record.rotatedToId,
    rateLimit: record.rateLimit && { ...record.rateLimit },
    rateLimits: record.rateLimits === null ? null : record.rateLimits.map((limit) => ({ ...limit })),
    credits: record.credits && { ...record.credits, refill: record.credits.refill ? { ...record.credits.refill } : null },
    notBefore: copyDate(record.notBefore),
    allowedIps: record.allowedIps && [...record.allowedIps],
    importedAt: copyDate(record.importedAt),
    legacyDigest: record.algorithm.startsWith('legacy-'),
  }
}

function copyDate<T extends Date | null>(date: T): T {
  return (date === null ? null : new Date(date.getTime())) as T
}

/** The state of a record at `now`. */
export function statusOf(record: ApiKeyRecord, now: number): ApiKeyStatus {
  if (record.revokedAt !== null) return 'revoked'
  if (record.disabledAt !== null) return 'disabled'
  if (record.expiresAt !== null && record.expiresAt.getTime() <= now) return 'expired'
  if (record.notBefore !== null && record.notBefore.getTime() > now) return 'not_yet_valid'
  return 'active'
}

/** Freeze an object graph (Dates excepted), so a shared view cannot be changed by a caller. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !(value instanceof Date) && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const item of Object.values(value)) deepFreeze(item)
  }
  return value
}
