/**
 * The usage, audit, notification and lease tables of a SQLite store (better-sqlite3, Cloudflare D1):
 * their schema, statements and row codecs. Shared by `@keyward/sqlite` and `@keyward/d1`. Every
 * statement binds anonymous `?` parameters, in order, each once (D1 takes no named ones).
 */
import type { AuditPage, AuditQuery, AuditRecord, PendingNotification, UsageIncrement, UsageQuery, UsageRow } from '../analytics-types.js'
import { usageBuckets } from '../usage-buckets.js'
import { decodeCursor, encodeCursor } from './cursor.js'

const q = (name: string): string => `"${name}"`
const tables = (t: string) => ({
  u: q(`${t}_usage`),
  b: q(`${t}_usage_batches`),
  a: q(`${t}_audit`),
  n: q(`${t}_notifications`),
  l: q(`${t}_leases`),
})

/**
 * The statements that create the tables of keys table `t`. Part of shipped migrations of both
 * stores: never edit, add a migration instead. A usage row without owner keeps `''` (owner ids are
 * never empty), so that the bucket identity is a primary key SQLite compares (NULLs never conflict).
 */
export function analyticsSchema(t: string): string[] {
  const { u, a, n, l } = tables(t)
  return [
    `CREATE TABLE IF NOT EXISTS ${u} (prefix TEXT NOT NULL, granularity TEXT NOT NULL, start INTEGER NOT NULL, key_id TEXT NOT NULL,
  owner_id TEXT NOT NULL, outcome TEXT NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (prefix, granularity, start, key_id, owner_id, outcome)) WITHOUT ROWID`,
    `CREATE INDEX IF NOT EXISTS ${q(`${t}_usage_key_idx`)} ON ${u} (prefix, granularity, key_id, start)`,
    `CREATE INDEX IF NOT EXISTS ${q(`${t}_usage_owner_idx`)} ON ${u} (prefix, granularity, owner_id, start)`,
    `CREATE TABLE IF NOT EXISTS ${a} (id TEXT PRIMARY KEY NOT NULL, at INTEGER NOT NULL, action TEXT NOT NULL, prefix TEXT NOT NULL,
  key_id TEXT, owner_id TEXT, actor TEXT, fields TEXT)`,
    `CREATE INDEX IF NOT EXISTS ${q(`${t}_audit_prefix_idx`)} ON ${a} (prefix, at DESC, id DESC)`,
    `CREATE INDEX IF NOT EXISTS ${q(`${t}_audit_key_idx`)} ON ${a} (key_id, at DESC, id DESC)`,
    `CREATE INDEX IF NOT EXISTS ${q(`${t}_audit_owner_idx`)} ON ${a} (owner_id, at DESC, id DESC)`,
    `CREATE TABLE IF NOT EXISTS ${n} (id TEXT PRIMARY KEY NOT NULL, type TEXT NOT NULL, key_id TEXT, payload TEXT NOT NULL,
  created_at INTEGER NOT NULL, pending INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL,
  claimed_until INTEGER NOT NULL DEFAULT 0, claimed_by TEXT, last_error TEXT)`,
    `CREATE INDEX IF NOT EXISTS ${q(`${t}_notifications_due_idx`)} ON ${n} (pending, created_at, id)`,
    `CREATE TABLE IF NOT EXISTS ${l} (name TEXT PRIMARY KEY NOT NULL, holder TEXT NOT NULL, "until" INTEGER NOT NULL)`,
  ]
}

/**
 * The statement that creates the applied usage batch ids of keys table `t`, each with its batch's
 * earliest minute (pruned with the minute buckets). Part of shipped migrations of both stores: never edit.
 */
export function usageBatchesSchema(t: string): string[] {
  return [`CREATE TABLE IF NOT EXISTS ${tables(t).b} (id TEXT PRIMARY KEY NOT NULL, minute INTEGER NOT NULL)`]
}

const USAGE_COLUMNS = 'prefix, granularity, start, key_id, owner_id, outcome, count'
const AUDIT_COLUMNS = 'id, at, action, prefix, key_id, owner_id, actor, fields'
const AUDIT_PARAMS = '?, ?, ?, ?, ?, ?, ?, ?'
/** Bound values per usage row in {@link analyticsStatements}' `addUsage`. */
export const USAGE_ROW_PARAMS = 7

/** The fixed statements for keys table `t`. */
export function analyticsStatements(t: string) {
  const { u, b, a, n, l } = tables(t)
  return {
    /** Adds `rows` usage rows ({@link usageValues}, flattened) to their buckets. */
    addUsage: (rows: number) =>
      `INSERT INTO ${u} (${USAGE_COLUMNS}) VALUES ${Array(rows).fill('(?, ?, ?, ?, ?, ?, ?)').join(', ')}
ON CONFLICT (prefix, granularity, start, key_id, owner_id, outcome) DO UPDATE SET count = count + excluded.count`,
    /** Binds batch id, its earliest minute; changes no row when the id was applied before. */
    markBatch: `INSERT OR IGNORE INTO ${b} (id, minute) VALUES (?, ?)`,
    /** Binds batch id, its earliest minute; fails on a unique constraint ({@link isAppliedBatchError}) when applied before. */
    insertBatch: `INSERT INTO ${b} (id, minute) VALUES (?, ?)`,
    /** Binds the minute cutoff: forgets the ids of batches whose earliest minute is before it. */
    pruneBatches: `DELETE FROM ${b} WHERE minute < ?`,
    /** Binds granularity, cutoff. */
    pruneUsage: `DELETE FROM ${u} WHERE granularity = ? AND start < ?`,
    /** Binds {@link auditValues}. */
    appendAudit: `INSERT INTO ${a} (${AUDIT_COLUMNS}) VALUES (${AUDIT_PARAMS})`,
    /** {@link auditValues} too, appended only when the statement before it changed a row (D1's batches). */
    appendAuditIfChanged: `INSERT INTO ${a} (${AUDIT_COLUMNS}) SELECT ${AUDIT_PARAMS} WHERE changes() > 0`,
    /** Binds the cutoff. */
    pruneAudit: `DELETE FROM ${a} WHERE at < ?`,
    /** Binds id, type, key id, payload, created at, pending (0/1), next attempt (created at); returns the id when new. */
    recordNotification: `INSERT INTO ${n} (id, type, key_id, payload, created_at, pending, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO NOTHING RETURNING id`,
    /** Binds claimed until, holder, now, now, limit: one statement, so one claim wins each entry. Rows unordered. */
    claimNotifications: `UPDATE ${n} SET claimed_until = ?, claimed_by = ? WHERE id IN (
  SELECT id FROM ${n} WHERE pending = 1 AND next_attempt_at <= ? AND claimed_until <= ? ORDER BY created_at, id LIMIT ?)
RETURNING id, type, key_id, payload, created_at, attempts`,
    /** Binds id. */
    settleDelivered: `UPDATE ${n} SET pending = 0, claimed_until = 0, claimed_by = NULL WHERE id = ?`,
    /** Binds next attempt, error, id. */
    settleFailed: `UPDATE ${n} SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, claimed_until = 0, claimed_by = NULL
WHERE id = ?`,
    /** Binds the cutoff. */
    pruneNotifications: `DELETE FROM ${n} WHERE pending = 0 AND created_at < ?`,
    /** Binds name, holder, until, now; returns a row when `holder` holds the lease. One statement, so one holder wins. */
    acquireLease: `INSERT INTO ${l} (name, holder, "until") VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "until" = excluded."until"
WHERE ${l}.holder = excluded.holder OR ${l}."until" <= ? RETURNING holder`,
  }
}

/** The rows (7 values each) to add for increments: each to its minute, hour and day. */
export function usageValues(increments: readonly UsageIncrement[]): unknown[][] {
  return increments.flatMap(({ keyId, ownerId, prefix, minute, outcome, count }) =>
    usageBuckets(minute).map(([granularity, start]) => [prefix, granularity, start, keyId, ownerId ?? '', outcome, count]),
  )
}

/** The earliest minute of a usage batch, kept with its id. */
export function batchMinute(increments: readonly UsageIncrement[]): number {
  return increments.reduce((earliest, { minute }) => Math.min(earliest, minute), Number.POSITIVE_INFINITY)
}

/** Whether `error` is the one `insertBatch` of keys table `t` fails with: the batch id was applied before. */
export function isAppliedBatchError(t: string, error: unknown): boolean {
  return String((error as Error | undefined)?.message).includes(`UNIQUE constraint failed: ${t}_usage_batches.id`)
}

/** A statement and its values. */
interface BoundSql {
  sql: string
  values: unknown[]
}

/** The `readUsage` query for keys table `t`; map its rows with {@link usageRowFrom}. */
export function readUsageSql(t: string, query: UsageQuery): BoundSql {
  const where = ['prefix = ?', 'granularity = ?', 'start >= ?', 'start < ?']
  const values: unknown[] = [query.prefix, query.granularity, query.from, query.to]
  if (query.keyId !== undefined) where.push('key_id = ?') && values.push(query.keyId)
  if (query.ownerId !== undefined) where.push('owner_id = ?') && values.push(query.ownerId)
  return { sql: `SELECT key_id, owner_id, start, outcome, count FROM ${tables(t).u} WHERE ${where.join(' AND ')}`, values }
}

/** A row of the usage table as the driver returns it. */
export interface UsageTableRow {
  key_id: string
  owner_id: string
  start: number
  outcome: string
  count: number
}

export function usageRowFrom(row: UsageTableRow): UsageRow {
  return {
    keyId: row.key_id,
    ownerId: row.owner_id === '' ? null : row.owner_id,
    start: row.start,
    outcome: row.outcome as UsageRow['outcome'],
    count: row.count,
  }
}

/** The values of {@link analyticsStatements}' `appendAudit`, in order. */
export function auditValues(entry: AuditRecord): unknown[] {
  const json = (v: unknown) => (v === null ? null : JSON.stringify(v))
  return [entry.id, entry.at.getTime(), entry.action, entry.prefix, entry.keyId, entry.ownerId, json(entry.actor), json(entry.fields)]
}

/** The `listAudit` query for keys table `t` (one row more than a page); a tampered cursor throws `InvalidInputError`. */
export function listAuditSql(t: string, query: AuditQuery): BoundSql {
  const after = query.cursor === undefined ? null : decodeCursor(query.cursor)
  const where = ['prefix = ?']
  const values: unknown[] = [query.prefix]
  if (query.keyId !== undefined) where.push('key_id = ?') && values.push(query.keyId)
  if (query.ownerId !== undefined) where.push('owner_id = ?') && values.push(query.ownerId)
  if (query.actorId !== undefined) where.push(`json_extract(actor, '$.id') = ?`) && values.push(query.actorId)
  if (query.from !== undefined) where.push('at >= ?') && values.push(query.from)
  if (query.to !== undefined) where.push('at < ?') && values.push(query.to)
  if (after !== null) where.push('(at, id) < (?, ?)') && values.push(after.createdAt, after.id)
  values.push(query.limit + 1)
  return { sql: `SELECT * FROM ${tables(t).a} WHERE ${where.join(' AND ')} ORDER BY at DESC, id DESC LIMIT ?`, values }
}

/** A row of the audit table as the driver returns it. */
export interface AuditTableRow {
  id: string
  at: number
  action: string
  prefix: string
  key_id: string | null
  owner_id: string | null
  actor: string | null
  fields: string | null
}

/** The page from the rows of {@link listAuditSql}. */
export function auditPageOf(rows: readonly AuditTableRow[], limit: number): AuditPage {
  const items: AuditRecord[] = rows.slice(0, limit).map((row) => ({
    id: row.id,
    at: new Date(row.at),
    action: row.action as AuditRecord['action'],
    prefix: row.prefix,
    keyId: row.key_id,
    ownerId: row.owner_id,
    actor: row.actor === null ? null : (JSON.parse(row.actor) as AuditRecord['actor']),
    fields: row.fields === null ? null : (JSON.parse(row.fields) as string[]),
  }))
  const last = items.at(-1)
  return rows.length > limit && last ? { items, nextCursor: encodeCursor({ createdAt: last.at.getTime(), id: last.id }) } : { items }
}

/** A row {@link analyticsStatements}' `claimNotifications` returns. */
export interface NotificationTableRow {
  id: string
  type: string
  key_id: string | null
  payload: string
  created_at: number
  attempts: number
}

/** The claimed notifications from the rows of `claimNotifications`, oldest first. */
export function claimedNotifications(rows: readonly NotificationTableRow[]): PendingNotification[] {
  return rows
    .map((row) => ({
      id: row.id,
      type: row.type,
      keyId: row.key_id,
      payload: row.payload,
      createdAt: row.created_at,
      attempts: row.attempts,
    }))
    .sort((x, y) => x.createdAt - y.createdAt || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
}
