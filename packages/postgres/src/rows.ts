import type { ApiKeyPatch, ApiKeyRecord, LastUsedEntry } from '@keyward/core/store'

/** A row of the keys table as `pg` returns it. */
export interface KeyRow {
  id: string
  prefix: string
  digest: string
  algorithm: string
  pepper_id: string | null
  hint: string
  name: string
  owner_id: string | null
  scopes: string[]
  metadata: ApiKeyRecord['metadata']
  created_at: Date
  updated_at: Date
  expires_at: Date | null
  disabled_at: Date | null
  revoked_at: Date | null
  last_used_at: Date | null
  last_used_from: string | null
  rotated_from_id: string | null
  rotated_to_id: string | null
  rate_limit: ApiKeyRecord['rateLimit']
  credits: ApiKeyRecord['credits']
  rate_limits: ApiKeyRecord['rateLimits']
  not_before: Date | null
  roles: string[]
  allowed_ips: string[] | null
  /** Migration 7; null for keys made here and older rows. */
  imported_at: Date | null
  legacy_hash: string | null
  revision: number
}

/** The record of a row; `lastUsedFrom` only when an address is stored (never null). */
export function rowToRecord(row: KeyRow): ApiKeyRecord {
  const record: ApiKeyRecord = {
    id: row.id,
    prefix: row.prefix,
    digest: row.digest,
    algorithm: row.algorithm as ApiKeyRecord['algorithm'],
    pepperId: row.pepper_id,
    hint: row.hint,
    name: row.name,
    ownerId: row.owner_id,
    scopes: row.scopes,
    metadata: row.metadata,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
    disabledAt: row.disabled_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    rotatedFromId: row.rotated_from_id,
    rotatedToId: row.rotated_to_id,
    rateLimit: row.rate_limit,
    credits: row.credits,
    rateLimits: row.rate_limits,
    notBefore: row.not_before,
    roles: row.roles,
    allowedIps: row.allowed_ips,
    importedAt: row.imported_at,
    legacyHash: row.legacy_hash,
    revision: row.revision,
  }
  if (row.last_used_from !== null) record.lastUsedFrom = row.last_used_from
  return record
}

const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v))

export const INSERT_COLUMNS = [
  'id',
  'prefix',
  'digest',
  'algorithm',
  'pepper_id',
  'hint',
  'name',
  'owner_id',
  'scopes',
  'metadata',
  'created_at',
  'updated_at',
  'expires_at',
  'disabled_at',
  'revoked_at',
  'last_used_at',
  'last_used_from',
  'rotated_from_id',
  'rotated_to_id',
  'rate_limit',
  'credits',
  'rate_limits',
  'not_before',
  'roles',
  'allowed_ips',
  'imported_at',
  'legacy_hash',
  'revision',
] as const

/**
 * The type of each of `INSERT_COLUMNS`' parameters as a column array (`insertMany`'s `unnest`);
 * `scopes`, one array per row, crosses as JSON.
 */
export const INSERT_ARRAY_TYPES = [
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'jsonb',
  'json',
  'timestamptz',
  'timestamptz',
  'timestamptz',
  'timestamptz',
  'timestamptz',
  'timestamptz',
  'text',
  'text',
  'text',
  'jsonb',
  'jsonb',
  'jsonb',
  'timestamptz',
  'jsonb',
  'jsonb',
  'timestamptz',
  'text',
  'integer',
] as const satisfies { length: (typeof INSERT_COLUMNS)['length'] }

/** Parameter values for an insert, in `INSERT_COLUMNS` order. */
export function insertValues(r: ApiKeyRecord): unknown[] {
  return [
    r.id,
    r.prefix,
    r.digest,
    r.algorithm,
    r.pepperId,
    r.hint,
    r.name,
    r.ownerId,
    r.scopes,
    JSON.stringify(r.metadata),
    r.createdAt,
    r.updatedAt,
    r.expiresAt,
    r.disabledAt,
    r.revokedAt,
    r.lastUsedAt,
    r.lastUsedFrom ?? null,
    r.rotatedFromId,
    r.rotatedToId,
    json(r.rateLimit),
    json(r.credits),
    json(r.rateLimits),
    r.notBefore,
    JSON.stringify(r.roles),
    json(r.allowedIps),
    r.importedAt ?? null,
    r.legacyHash ?? null,
    r.revision,
  ]
}

/** Patch field → column and parameter encoding. */
export const PATCH_COLUMNS: Record<keyof ApiKeyPatch, [column: string, encode: (v: unknown) => unknown]> = {
  name: ['name', (v) => v],
  scopes: ['scopes', (v) => v],
  metadata: ['metadata', (v) => JSON.stringify(v)],
  updatedAt: ['updated_at', (v) => v],
  expiresAt: ['expires_at', (v) => v],
  disabledAt: ['disabled_at', (v) => v],
  revokedAt: ['revoked_at', (v) => v],
  rotatedToId: ['rotated_to_id', (v) => v],
  rateLimit: ['rate_limit', json],
  credits: ['credits', json],
  rateLimits: ['rate_limits', json],
  notBefore: ['not_before', (v) => v],
  roles: ['roles', json],
  allowedIps: ['allowed_ips', json],
  legacyHash: ['legacy_hash', (v) => v],
  digest: ['digest', (v) => v],
  algorithm: ['algorithm', (v) => v],
  pepperId: ['pepper_id', (v) => v],
}

/** The patch fields that are set (not undefined), in a stable order. */
export function patchFields(patch: ApiKeyPatch): (keyof ApiKeyPatch)[] {
  return (Object.keys(PATCH_COLUMNS) as (keyof ApiKeyPatch)[]).filter((f) => patch[f] !== undefined)
}

/** One entry per id (an UPDATE … FROM applies one of several matches): its latest use, with that use's address. */
export function latestUses(entries: readonly LastUsedEntry[]): LastUsedEntry[] {
  const latest = new Map<string, LastUsedEntry>()
  for (const entry of entries) {
    const seen = latest.get(entry.id)
    if (seen === undefined || seen.lastUsedAt < entry.lastUsedAt) latest.set(entry.id, entry)
  }
  return [...latest.values()]
}
