import {
  encodeCursor,
  usageBuckets,
  type AuditPage,
  type AuditRecord,
  type PendingNotification,
  type UsageIncrement,
  type UsageRow,
} from '@keyward/core/store'

/**
 * The usage rows to add for `increments`, as column arrays for `unnest`: each increment added to
 * its minute, hour and day, rows of one bucket summed (a statement may update a row only once),
 * sorted by bucket identity so concurrent batches lock rows in one order and cannot deadlock.
 */
export function usageColumns(increments: readonly UsageIncrement[]): unknown[][] {
  const rows = new Map<string, { identity: [string, string, number, string, string, string]; count: number }>()
  for (const { keyId, ownerId, prefix, minute, outcome, count } of increments)
    for (const [granularity, start] of usageBuckets(minute)) {
      const identity: [string, string, number, string, string, string] = [prefix, granularity, start, keyId, ownerId ?? '', outcome]
      const slot = JSON.stringify(identity)
      const row = rows.get(slot)
      if (row) row.count += count
      else rows.set(slot, { identity, count })
    }
  const sorted = [...rows.values()].sort((x, y) => compareIdentity(x.identity, y.identity))
  const columns: unknown[][] = [[], [], [], [], [], [], []]
  for (const { identity, count } of sorted) {
    const [prefix, granularity, start, keyId, ownerId, outcome] = identity
    const values = [prefix, granularity, new Date(start), keyId, ownerId, outcome, count]
    for (const [column, value] of values.entries()) columns[column]!.push(value)
  }
  return columns
}

function compareIdentity(x: readonly (string | number)[], y: readonly (string | number)[]): number {
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1
  return 0
}

/** A row of the usage table as `readUsage` selects it. */
export interface UsageTableRow {
  key_id: string
  owner_id: string
  start: Date
  outcome: string
  count: number
}

export function usageRowFrom(row: UsageTableRow): UsageRow {
  return {
    keyId: row.key_id,
    ownerId: row.owner_id === '' ? null : row.owner_id,
    start: row.start.getTime(),
    outcome: row.outcome as UsageRow['outcome'],
    count: row.count,
  }
}

/** The audit table's columns, with the type each parameter is cast to. */
export const AUDIT_COLUMNS = ['id', 'at', 'action', 'prefix', 'key_id', 'owner_id', 'actor', 'fields'] as const
const AUDIT_TYPES = ['text', 'timestamptz', 'text', 'text', 'text', 'text', 'jsonb', 'jsonb'] as const

/** `$first::text, $first+1::timestamptz, …`: the parameters of one audit row. */
export function auditParams(first: number): string {
  return AUDIT_TYPES.map((type, i) => `$${first + i}::${type}`).join(', ')
}

/** The parameter values of one audit row, in {@link AUDIT_COLUMNS} order. */
export function auditValues(entry: AuditRecord): unknown[] {
  const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v))
  return [entry.id, entry.at, entry.action, entry.prefix, entry.keyId, entry.ownerId, json(entry.actor), json(entry.fields)]
}

/** A row of the audit table as `pg` returns it (jsonb parsed). */
export interface AuditTableRow {
  id: string
  at: Date
  action: string
  prefix: string
  key_id: string | null
  owner_id: string | null
  actor: AuditRecord['actor']
  fields: string[] | null
}

/** The page from `limit + 1` rows, newest first. */
export function auditPageOf(rows: readonly AuditTableRow[], limit: number): AuditPage {
  const items: AuditRecord[] = rows.slice(0, limit).map((row) => ({
    id: row.id,
    at: row.at,
    action: row.action as AuditRecord['action'],
    prefix: row.prefix,
    keyId: row.key_id,
    ownerId: row.owner_id,
    actor: row.actor,
    fields: row.fields,
  }))
  const last = items.at(-1)
  return rows.length > limit && last ? { items, nextCursor: encodeCursor({ createdAt: last.at.getTime(), id: last.id }) } : { items }
}

/** A row `claimNotifications` returns. */
export interface NotificationTableRow {
  id: string
  type: string
  key_id: string | null
  payload: string
  created_at: Date
  attempts: number
}

/** The claimed notifications, oldest first (`RETURNING` keeps no order). */
export function claimedNotifications(rows: readonly NotificationTableRow[]): PendingNotification[] {
  return rows
    .map((row) => ({
      id: row.id,
      type: row.type,
      keyId: row.key_id,
      payload: row.payload,
      createdAt: row.created_at.getTime(),
      attempts: row.attempts,
    }))
    .sort((x, y) => x.createdAt - y.createdAt || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
}
