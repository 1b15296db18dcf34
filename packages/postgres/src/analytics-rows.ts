import { sqliteUsageValues, type AuditRecord, type UsageIncrement } from '@keyward/core/store'

/**
 * Rows are read in the shapes of the SQLite stores' tables (times in epoch milliseconds, `actor`
 * and `fields` as JSON text; see the `SELECT` lists in `analytics-sql.ts`), so the row codecs of
 * `@keyward/core/store` (`sqliteUsageRowFrom`, `sqliteAuditPageOf`, `sqliteClaimedNotifications`) serve
 * both.
 */

/**
 * The usage rows to add for `increments`, as column arrays for `unnest`: each increment added to
 * its minute, hour and day (`sqliteUsageValues`), rows of one bucket summed (a statement may update
 * a row only once), sorted by bucket identity so concurrent batches lock rows in one order and
 * cannot deadlock.
 */
export function usageColumns(increments: readonly UsageIncrement[]): unknown[][] {
  const rows = new Map<string, unknown[]>()
  for (const row of sqliteUsageValues(increments)) {
    const slot = JSON.stringify(row.slice(0, 6))
    const same = rows.get(slot)
    if (same) same[6] = (same[6] as number) + (row[6] as number)
    else rows.set(slot, row)
  }
  const sorted = [...rows.values()].sort(compareIdentity)
  return Array.from({ length: 7 }, (_, column) => sorted.map((row) => (column === 2 ? new Date(row[2] as number) : row[column])))
}

/** Orders usage rows by their bucket identity, the first six values. */
function compareIdentity(x: unknown[], y: unknown[]): number {
  for (let i = 0; i < 6; i++) if (x[i] !== y[i]) return (x[i] as string | number) < (y[i] as string | number) ? -1 : 1
  return 0
}

/** The audit table's columns, with the type each parameter is cast to. */
export const AUDIT_COLUMNS = ['id', 'at', 'action', 'prefix', 'key_id', 'owner_id', 'actor', 'fields'] as const
const AUDIT_TYPES = ['text', 'timestamptz', 'text', 'text', 'text', 'text', 'jsonb', 'jsonb'] as const

/** `$first::text[], $first+1::timestamptz[], …`: the column arrays of many audit rows, for `unnest`. */
export function auditArrayParams(first: number): string {
  return AUDIT_TYPES.map((type, i) => `$${first + i}::${type}[]`).join(', ')
}

/** `$first::text, $first+1::timestamptz, …`: the parameters of one audit row. */
export function auditParams(first: number): string {
  return AUDIT_TYPES.map((type, i) => `$${first + i}::${type}`).join(', ')
}

/** The parameter values of one audit row, in {@link AUDIT_COLUMNS} order. */
export function auditValues(entry: AuditRecord): unknown[] {
  const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v))
  return [entry.id, entry.at, entry.action, entry.prefix, entry.keyId, entry.ownerId, json(entry.actor), json(entry.fields)]
}
