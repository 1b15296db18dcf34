/**
 * The import parts of a SQLite store (better-sqlite3, Cloudflare D1): the columns `keyward.import`
 * fills, and the insert of `insertMany`, which skips ids that exist. Shared by `@keyward/sqlite` and
 * `@keyward/d1`. Statements bind anonymous `?` parameters.
 */
import type { AuditRecord } from '../analytics-types.js'
import type { ApiKeyRecord } from '../types.js'
import { KEY_COLUMNS } from './sqlite-rows.js'

/**
 * The statements that add `imported_at` (epoch ms) and `legacy_hash` to keys table `t`; older rows
 * read back null. `algorithm` is plain text, so the legacy algorithms need no change. Part of
 * shipped migrations of both stores (sqlite 7, d1 6): never edit.
 */
export function importSchema(t: string): string[] {
  return [`ALTER TABLE "${t}" ADD COLUMN imported_at INTEGER`, `ALTER TABLE "${t}" ADD COLUMN legacy_hash TEXT`]
}

/**
 * Insert a record unless its id exists: binds `insertKeyValues` of its row (no cap). Returns the id
 * when it inserted, no row (and 0 changes) when the id was taken.
 */
export function insertNewKeySql(t: string): string {
  return `INSERT INTO "${t}" (${KEY_COLUMNS.join(', ')}) VALUES (${KEY_COLUMNS.map(() => '?').join(', ')})
ON CONFLICT (id) DO NOTHING RETURNING id`
}

/** The outcome of `insertMany`, from whether each of `records` was inserted. */
export function insertManyResult(
  records: readonly ApiKeyRecord[],
  inserted: readonly boolean[],
): { inserted: string[]; duplicates: string[] } {
  const result = { inserted: [] as string[], duplicates: [] as string[] }
  for (const [i, r] of records.entries()) (inserted[i] ? result.inserted : result.duplicates).push(r.id)
  return result
}

/** The audit entries of `insertMany`, by key id; the entries without a key id are dropped (they belong to no inserted record). */
export function auditByKey(audit: readonly AuditRecord[] | undefined): Map<string, AuditRecord[]> {
  const byKey = new Map<string, AuditRecord[]>()
  for (const entry of audit ?? []) {
    if (entry.keyId === null) continue
    const same = byKey.get(entry.keyId)
    if (same) same.push(entry)
    else byKey.set(entry.keyId, [entry])
  }
  return byKey
}
