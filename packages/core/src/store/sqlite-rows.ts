/**
 * Rows of a SQLite keys table (better-sqlite3, Cloudflare D1): dates as epoch milliseconds, lists
 * and objects as JSON text. Shared by `@keyward/sqlite` and `@keyward/d1`, whose tables have the
 * same columns.
 */
import type { ApiKeyPatch, ApiKeyRecord, LastUsedEntry } from '../types.js'

/** A row of the keys table as the driver returns it. */
export interface KeyRow {
  id: string
  prefix: string
  digest: string
  algorithm: string
  pepper_id: string | null
  hint: string
  name: string
  owner_id: string | null
  scopes: string
  metadata: string
  created_at: number
  updated_at: number
  expires_at: number | null
  disabled_at: number | null
  revoked_at: number | null
  last_used_at: number | null
  /** The client address of the use at `last_used_at` (schema: sqlite 4, d1 3); null when unknown. */
  last_used_from: string | null
  rotated_from_id: string | null
  rotated_to_id: string | null
  rate_limit: string | null
  credits: string | null
  /** Named limits as JSON (schema: sqlite 6, d1 5); null for none. */
  rate_limits: string | null
  not_before: number | null
  /** Role names as JSON, `'[]'` for rows older than the column. */
  roles: string
  allowed_ips: string | null
  /** When the key was imported (schema: sqlite 7, d1 6); null for keys made here and older rows. */
  imported_at: number | null
  /** Another system's salted slow hash of an imported key (schema: sqlite 7, d1 6); null otherwise. */
  legacy_hash: string | null
  revision: number
}

const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms))
const ms = (d: Date | null): number | null => (d === null ? null : d.getTime())
const json = (v: unknown): string | null => (v === null ? null : JSON.stringify(v))
const parsed = <T>(text: string | null | undefined): T | null => (text === null || text === undefined ? null : (JSON.parse(text) as T))

/** The columns of the keys table, in the order of {@link insertKeySql}'s values. */
export const KEY_COLUMNS = [
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
] as const satisfies readonly (keyof KeyRow)[]

export function rowToRecord(row: KeyRow): ApiKeyRecord {
  return {
    id: row.id,
    prefix: row.prefix,
    digest: row.digest,
    algorithm: row.algorithm as ApiKeyRecord['algorithm'],
    pepperId: row.pepper_id,
    hint: row.hint,
    name: row.name,
    ownerId: row.owner_id,
    scopes: JSON.parse(row.scopes) as string[],
    metadata: JSON.parse(row.metadata) as ApiKeyRecord['metadata'],
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    expiresAt: date(row.expires_at),
    disabledAt: date(row.disabled_at),
    revokedAt: date(row.revoked_at),
    lastUsedAt: date(row.last_used_at),
    // Present only when an address is stored (never null), as the KeyStore contract asks.
    ...(row.last_used_from === null || row.last_used_from === undefined ? {} : { lastUsedFrom: row.last_used_from }),
    rotatedFromId: row.rotated_from_id,
    rotatedToId: row.rotated_to_id,
    rateLimit: row.rate_limit === null ? null : (JSON.parse(row.rate_limit) as ApiKeyRecord['rateLimit']),
    credits: row.credits === null ? null : (JSON.parse(row.credits) as ApiKeyRecord['credits']),
    rateLimits: parsed<ApiKeyRecord['rateLimits']>(row.rate_limits),
    notBefore: date(row.not_before ?? null),
    roles: parsed<string[]>(row.roles) ?? [],
    allowedIps: parsed<string[]>(row.allowed_ips),
    importedAt: date(row.imported_at ?? null),
    legacyHash: row.legacy_hash ?? null,
    revision: row.revision,
  }
}

export function recordToRow(r: ApiKeyRecord): KeyRow {
  return {
    id: r.id,
    prefix: r.prefix,
    digest: r.digest,
    algorithm: r.algorithm,
    pepper_id: r.pepperId,
    hint: r.hint,
    name: r.name,
    owner_id: r.ownerId,
    scopes: JSON.stringify(r.scopes),
    metadata: JSON.stringify(r.metadata),
    created_at: r.createdAt.getTime(),
    updated_at: r.updatedAt.getTime(),
    expires_at: ms(r.expiresAt),
    disabled_at: ms(r.disabledAt),
    revoked_at: ms(r.revokedAt),
    last_used_at: ms(r.lastUsedAt),
    last_used_from: r.lastUsedFrom ?? null,
    rotated_from_id: r.rotatedFromId,
    rotated_to_id: r.rotatedToId,
    rate_limit: json(r.rateLimit),
    credits: json(r.credits),
    // Records made before these fields existed (by an older caller) store their defaults.
    rate_limits: json(r.rateLimits ?? null),
    not_before: ms(r.notBefore ?? null),
    roles: JSON.stringify(r.roles ?? []),
    allowed_ips: json(r.allowedIps ?? null),
    imported_at: ms(r.importedAt ?? null),
    legacy_hash: r.legacyHash ?? null,
    revision: r.revision,
  }
}

/** The migration that adds `last_used_from` to keys table `t` (sqlite 4, d1 3). Shipped: never edit. */
export const addLastUsedFromSql = (t: string): string => `ALTER TABLE "${t}" ADD COLUMN last_used_from TEXT`

/**
 * Record the uses of a `touch`: binds {@link touchValues}. The later time wins and brings its
 * client address (null when that use came without one); an earlier one changes nothing. Leaves
 * `revision` alone, so no change notification fires.
 */
export const touchSql = (t: string): string =>
  `UPDATE "${t}" SET last_used_at = ?, last_used_from = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`

/** The values {@link touchSql} binds for one entry, in order. */
export function touchValues(entry: LastUsedEntry): [number, string | null, string, number] {
  const at = entry.lastUsedAt.getTime()
  return [at, entry.from ?? null, entry.id, at]
}

/** Patch field → column and its encoding. */
export const PATCH_COLUMNS: {
  [K in keyof Required<ApiKeyPatch>]: [column: string, encode: (v: NonNullable<ApiKeyPatch[K]> | null) => unknown]
} = {
  name: ['name', (v) => v],
  scopes: ['scopes', (v) => JSON.stringify(v)],
  metadata: ['metadata', (v) => JSON.stringify(v)],
  updatedAt: ['updated_at', (v) => ms(v)],
  expiresAt: ['expires_at', (v) => ms(v)],
  disabledAt: ['disabled_at', (v) => ms(v)],
  revokedAt: ['revoked_at', (v) => ms(v)],
  rotatedToId: ['rotated_to_id', (v) => v],
  rateLimit: ['rate_limit', (v) => json(v)],
  credits: ['credits', (v) => json(v)],
  rateLimits: ['rate_limits', (v) => json(v)],
  notBefore: ['not_before', (v) => ms(v)],
  roles: ['roles', (v) => JSON.stringify(v)],
  allowedIps: ['allowed_ips', (v) => json(v)],
  legacyHash: ['legacy_hash', (v) => v],
  digest: ['digest', (v) => v],
  algorithm: ['algorithm', (v) => v],
  pepperId: ['pepper_id', (v) => v],
}

/** The patch fields that are set (not undefined), in a stable order. */
export function patchFields(patch: ApiKeyPatch): (keyof ApiKeyPatch)[] {
  return (Object.keys(PATCH_COLUMNS) as (keyof ApiKeyPatch)[]).filter((f) => patch[f] !== undefined)
}

/** Encode one patch value for its column. */
export function encodePatchValue(field: keyof ApiKeyPatch, patch: ApiKeyPatch): unknown {
  const [, encode] = PATCH_COLUMNS[field]
  return (encode as (v: unknown) => unknown)(patch[field] ?? null)
}
