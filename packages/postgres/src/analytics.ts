import {
  decodeCursor,
  sqliteAuditPageOf,
  sqliteClaimedNotifications,
  sqliteUsageRowFrom,
  type AuditPage,
  type AuditQuery,
  type AuditRecord,
  type DeliveryOutcome,
  type LedgerEntry,
  type PendingNotification,
  type SqliteAuditRow,
  type SqliteNotificationRow,
  type SqliteUsageRow,
  type UsageCutoffs,
  type UsageIncrement,
  type UsageQuery,
  type UsageRow,
} from '@keyward/core/store'
import type pg from 'pg'
import { auditValues, usageColumns } from './analytics-rows.js'
import { buildAnalyticsStatements, type AnalyticsStatements } from './analytics-sql.js'
import type { PgNames } from './names.js'
import type { Statement } from './statements.js'

/** Runs one statement the way the store runs its own (schema check, deadline, error wrapping). */
export type Run = <R extends pg.QueryResultRow>(operation: string, statement: Statement, values: unknown[]) => Promise<pg.QueryResult<R>>

/** The usage, audit, notification-ledger and lease methods of `PostgresKeyStore`. */
export class PostgresAnalytics {
  readonly statements: AnalyticsStatements
  readonly #run: Run

  constructor(names: PgNames, run: Run) {
    this.statements = buildAnalyticsStatements(names)
    this.#run = run
  }

  /** With `batchId`, the batch is added only if that id was never applied (one statement: see `addUsageBatch`). */
  async addUsage(increments: UsageIncrement[], batchId?: string): Promise<void> {
    if (increments.length === 0) return
    const columns = usageColumns(increments)
    if (batchId === undefined) await this.#run('addUsage', this.statements.addUsage, columns)
    else {
      const minute = increments.reduce((earliest, { minute }) => Math.min(earliest, minute), Number.POSITIVE_INFINITY)
      await this.#run('addUsage', this.statements.addUsageBatch, [...columns, batchId, minute])
    }
  }

  async readUsage(query: UsageQuery): Promise<UsageRow[]> {
    const { statement, values } = this.statements.readUsage(query)
    const { rows } = await this.#run<SqliteUsageRow>('readUsage', statement, values)
    return rows.map(sqliteUsageRowFrom)
  }

  async pruneUsage(cutoffs: UsageCutoffs): Promise<void> {
    await this.#run('pruneUsage', this.statements.pruneUsage, [
      new Date(cutoffs.minute),
      new Date(cutoffs.hour),
      new Date(cutoffs.day),
      cutoffs.minute,
    ])
  }

  async appendAudit(entries: AuditRecord[]): Promise<void> {
    if (entries.length === 0) return
    const rows = entries.map(auditValues)
    await this.#run(
      'appendAudit',
      this.statements.appendAudit,
      rows[0]!.map((_, column) => rows.map((row) => row[column])),
    )
  }

  /** Decodes the cursor before any query: a tampered one is an `InvalidInputError`. */
  async listAudit(query: AuditQuery): Promise<AuditPage> {
    const after = query.cursor === undefined ? null : decodeCursor(query.cursor)
    const { statement, values } = this.statements.listAudit(query, after)
    const { rows } = await this.#run<SqliteAuditRow>('listAudit', statement, values)
    return sqliteAuditPageOf(rows, query.limit)
  }

  async pruneAudit(before: number): Promise<void> {
    await this.#run('pruneAudit', this.statements.pruneAudit, [new Date(before)])
  }

  async recordNotifications(entries: LedgerEntry[]): Promise<string[]> {
    const first = new Map<string, LedgerEntry>()
    for (const entry of entries) if (!first.has(entry.id)) first.set(entry.id, entry)
    const unique = [...first.values()]
    if (unique.length === 0) return []
    const { rows } = await this.#run<{ id: string }>('recordNotifications', this.statements.recordNotifications, [
      unique.map((e) => e.id),
      unique.map((e) => e.type),
      unique.map((e) => e.keyId),
      unique.map((e) => e.payload),
      unique.map((e) => new Date(e.createdAt)),
      unique.map((e) => e.pending),
    ])
    const added = new Set(rows.map((row) => row.id))
    return unique.filter((e) => added.has(e.id)).map((e) => e.id)
  }

  async claimNotifications(holder: string, now: number, leaseMs: number, limit: number): Promise<PendingNotification[]> {
    const { rows } = await this.#run<SqliteNotificationRow>('claimNotifications', this.statements.claimNotifications, [
      new Date(now),
      new Date(now + leaseMs),
      holder,
      limit,
    ])
    return sqliteClaimedNotifications(rows)
  }

  async settleNotification(id: string, outcome: DeliveryOutcome): Promise<void> {
    if (outcome.delivered) await this.#run('settleNotification', this.statements.settleDelivered, [id])
    else await this.#run('settleNotification', this.statements.settleFailed, [id, new Date(outcome.nextAttemptAt), outcome.error])
  }

  async pruneNotifications(before: number): Promise<void> {
    await this.#run('pruneNotifications', this.statements.pruneNotifications, [new Date(before)])
  }

  async acquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    const { rows } = await this.#run('acquireLease', this.statements.acquireLease, [name, holder, new Date(now + ttlMs), new Date(now)])
    return rows.length > 0
  }
}
