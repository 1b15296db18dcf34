import {
  sqliteAuditByKey as auditByKey,
  sqliteInsertKeyValues as insertKeyValues,
  sqliteInsertManyResult as insertManyResult,
  sqliteInsertNewKeySql as insertNewKeySql,
  sqliteRecordToRow as recordToRow,
  type ApiKeyRecord,
  type AuditRecord,
} from '@keyward/core/store'
import type { D1Analytics } from './analytics.js'
import type { D1DatabaseLike, D1StatementLike } from './options.js'

/**
 * `KeyStore.insertMany` on D1: one batch (a transaction) of `INSERT … ON CONFLICT (id) DO NOTHING
 * RETURNING id` per record, each followed by the audit entries of its key, which `changes()` appends
 * only when that insert inserted. Bound parameters are limited per statement on D1, so one row each.
 */
export async function insertMany(
  db: D1DatabaseLike,
  table: string,
  analytics: D1Analytics,
  records: readonly ApiKeyRecord[],
  audit: readonly AuditRecord[] | undefined,
): Promise<{ inserted: string[]; duplicates: string[] }> {
  if (records.length === 0) return { inserted: [], duplicates: [] }
  const sql = insertNewKeySql(table)
  const byKey = auditByKey(audit)
  const statements: D1StatementLike[] = []
  const inserts: number[] = []
  for (const record of records) {
    inserts.push(statements.length)
    statements.push(db.prepare(sql).bind(...insertKeyValues(recordToRow(record))))
    // A repeated id inserts nothing, so its entries follow its first occurrence only.
    for (const entry of byKey.get(record.id) ?? []) statements.push(analytics.appendStatement(entry, true))
    byKey.delete(record.id)
  }
  const results = await db.batch<{ id: string }>(statements)
  return insertManyResult(
    records,
    inserts.map((i) => results[i]!.results.length > 0),
  )
}
