import {
  sqliteAnalyticsStatements,
  SQLITE_USAGE_ROW_PARAMS as USAGE_ROW_PARAMS,
  sqliteAuditPageOf as auditPageOf,
  sqliteAuditValues as auditValues,
  sqliteBatchMinute as batchMinute,
  sqliteClaimedNotifications as claimedNotifications,
  sqliteIsAppliedBatchError as isAppliedBatchError,
  sqliteListAuditSql as listAuditSql,
  sqliteReadUsageSql as readUsageSql,
  sqliteUsageRowFrom as usageRowFrom,
  sqliteUsageValues as usageValues,
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
import type { D1DatabaseLike, D1StatementLike } from './options.js'

/** D1 binds at most 100 values per statement: usage rows per upsert. */
const USAGE_ROWS_PER_STATEMENT = Math.floor(100 / USAGE_ROW_PARAMS)

/**
 * The usage, audit, notification and lease operations of `D1KeyStore`. Several statements go as
 * one `batch` (a transaction); each claim and lease is one statement, so isolates never race.
 */
export class D1Analytics {
  readonly #db: D1DatabaseLike
  readonly #table: string
  readonly #sql: ReturnType<typeof sqliteAnalyticsStatements>

  constructor(db: D1DatabaseLike, table: string) {
    this.#db = db
    this.#table = table
    this.#sql = sqliteAnalyticsStatements(table)
  }

  /** The statement that appends `entry`: only when the statement before it in a batch changed a row, with `ifChanged`. */
  appendStatement(entry: AuditRecord, ifChanged = false): D1StatementLike {
    return this.#db.prepare(ifChanged ? this.#sql.appendAuditIfChanged : this.#sql.appendAudit).bind(...auditValues(entry))
  }

  /**
   * Add increments in one batch (a transaction). With `batchId`, the batch starts by inserting the
   * id: when it was applied before, that insert fails and so does the whole batch, adding nothing.
   */
  async addUsage(increments: readonly UsageIncrement[], batchId?: string): Promise<void> {
    const rows = usageValues(increments)
    if (rows.length === 0) return
    const statements: D1StatementLike[] = []
    if (batchId !== undefined) statements.push(this.#db.prepare(this.#sql.insertBatch).bind(batchId, batchMinute(increments)))
    for (let i = 0; i < rows.length; i += USAGE_ROWS_PER_STATEMENT) {
      const chunk = rows.slice(i, i + USAGE_ROWS_PER_STATEMENT)
      statements.push(this.#db.prepare(this.#sql.addUsage(chunk.length)).bind(...chunk.flat()))
    }
    try {
      await this.#db.batch(statements)
    } catch (error) {
      if (!(batchId !== undefined && isAppliedBatchError(this.#table, error))) throw error
    }
  }

  async readUsage(query: UsageQuery): Promise<UsageRow[]> {
    const { sql, values } = readUsageSql(this.#table, query)
    const { results } = await this.#db
      .prepare(sql)
      .bind(...values)
      .all<SqliteUsageRow>()
    return results.map(usageRowFrom)
  }

  async pruneUsage(cutoffs: UsageCutoffs): Promise<void> {
    await this.#db.batch([
      ...Object.entries(cutoffs).map(([granularity, before]) => this.#db.prepare(this.#sql.pruneUsage).bind(granularity, before)),
      this.#db.prepare(this.#sql.pruneBatches).bind(cutoffs.minute),
    ])
  }

  async appendAudit(entries: readonly AuditRecord[]): Promise<void> {
    if (entries.length > 0) await this.#db.batch(entries.map((entry) => this.appendStatement(entry)))
  }

  async listAudit(query: AuditQuery): Promise<AuditPage> {
    const { sql, values } = listAuditSql(this.#table, query)
    const { results } = await this.#db
      .prepare(sql)
      .bind(...values)
      .all<SqliteAuditRow>()
    return auditPageOf(results, query.limit)
  }

  async pruneAudit(before: number): Promise<void> {
    await this.#db.prepare(this.#sql.pruneAudit).bind(before).run()
  }

  async recordNotifications(entries: readonly LedgerEntry[]): Promise<string[]> {
    if (entries.length === 0) return []
    const results = await this.#db.batch<{ id: string }>(
      entries.map(({ id, type, keyId, payload, createdAt, pending }) =>
        this.#db.prepare(this.#sql.recordNotification).bind(id, type, keyId, payload, createdAt, pending ? 1 : 0, createdAt),
      ),
    )
    return results.flatMap((result) => result.results.map((row) => row.id))
  }

  async claimNotifications(holder: string, now: number, leaseMs: number, limit: number): Promise<PendingNotification[]> {
    const { results } = await this.#db
      .prepare(this.#sql.claimNotifications)
      .bind(now + leaseMs, holder, now, now, limit)
      .all<SqliteNotificationRow>()
    return claimedNotifications(results)
  }

  async settleNotification(id: string, outcome: DeliveryOutcome): Promise<void> {
    const statement = outcome.delivered
      ? this.#db.prepare(this.#sql.settleDelivered).bind(id)
      : this.#db.prepare(this.#sql.settleFailed).bind(outcome.nextAttemptAt, outcome.error, id)
    await statement.run()
  }

  async pruneNotifications(before: number): Promise<void> {
    await this.#db.prepare(this.#sql.pruneNotifications).bind(before).run()
  }

  async acquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    return (
      (await this.#db
        .prepare(this.#sql.acquireLease)
        .bind(name, holder, now + ttlMs, now)
        .first()) !== null
    )
  }
}
