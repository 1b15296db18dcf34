import type Database from 'better-sqlite3'
import {
  sqliteAnalyticsStatements,
  sqliteAuditPageOf as auditPageOf,
  sqliteAuditValues as auditValues,
  sqliteBatchMinute as batchMinute,
  sqliteClaimedNotifications as claimedNotifications,
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
  type UsageGranularity,
  type UsageIncrement,
  type UsageQuery,
  type UsageRow,
} from '@keyward/core/store'

type Db = Database.Database
type Statement = Database.Statement

/**
 * The usage, audit, notification and lease operations of `SqliteKeyStore`, synchronous (the store
 * retries them while the file is busy). Statements are prepared once; the filtered queries on first use.
 */
export class SqliteAnalytics {
  readonly #db: Db
  readonly #table: string
  readonly #queries = new Map<string, Statement>()
  readonly #addUsage: Statement
  readonly #pruneUsage: Statement
  readonly #markBatch: Statement
  readonly #pruneBatches: Statement
  readonly #appendAudit: Statement
  readonly #pruneAudit: Statement
  readonly #record: Statement
  readonly #claim: Statement
  readonly #settleDelivered: Statement
  readonly #settleFailed: Statement
  readonly #pruneNotifications: Statement
  readonly #lease: Statement

  constructor(db: Db, table: string) {
    const sql = sqliteAnalyticsStatements(table)
    this.#db = db
    this.#table = table
    this.#addUsage = db.prepare(sql.addUsage(1))
    this.#pruneUsage = db.prepare(sql.pruneUsage)
    this.#markBatch = db.prepare(sql.markBatch)
    this.#pruneBatches = db.prepare(sql.pruneBatches)
    this.#appendAudit = db.prepare(sql.appendAudit)
    this.#pruneAudit = db.prepare(sql.pruneAudit)
    this.#record = db.prepare(sql.recordNotification)
    this.#claim = db.prepare(sql.claimNotifications)
    this.#settleDelivered = db.prepare(sql.settleDelivered)
    this.#settleFailed = db.prepare(sql.settleFailed)
    this.#pruneNotifications = db.prepare(sql.pruneNotifications)
    this.#lease = db.prepare(sql.acquireLease)
  }

  /** Run `fn` in one IMMEDIATE transaction (nested in an open one, a savepoint): all of it or none. */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate()
  }

  #prepared(text: string): Statement {
    let statement = this.#queries.get(text)
    if (statement === undefined) this.#queries.set(text, (statement = this.#db.prepare(text)))
    return statement
  }

  /** Add increments, in one transaction with noting `batchId`: nothing when that id was noted before. */
  addUsage(increments: readonly UsageIncrement[], batchId?: string): void {
    this.transaction(() => {
      if (batchId !== undefined && this.#markBatch.run(batchId, batchMinute(increments)).changes === 0) return
      for (const values of usageValues(increments)) this.#addUsage.run(values)
    })
  }

  readUsage(query: UsageQuery): UsageRow[] {
    const { sql, values } = readUsageSql(this.#table, query)
    return (this.#prepared(sql).all(values) as SqliteUsageRow[]).map(usageRowFrom)
  }

  pruneUsage(cutoffs: UsageCutoffs): void {
    this.transaction(() => {
      for (const [granularity, before] of Object.entries(cutoffs) as [UsageGranularity, number][]) this.#pruneUsage.run(granularity, before)
      this.#pruneBatches.run(cutoffs.minute)
    })
  }

  /** Append entries (all or none when called outside a transaction). */
  appendAudit(entries: readonly AuditRecord[]): void {
    this.transaction(() => {
      for (const entry of entries) this.#appendAudit.run(auditValues(entry))
    })
  }

  listAudit(query: AuditQuery): AuditPage {
    const { sql, values } = listAuditSql(this.#table, query)
    return auditPageOf(this.#prepared(sql).all(values) as SqliteAuditRow[], query.limit)
  }

  pruneAudit(before: number): void {
    this.#pruneAudit.run(before)
  }

  recordNotifications(entries: readonly LedgerEntry[]): string[] {
    return this.transaction(() =>
      entries.flatMap(({ id, type, keyId, payload, createdAt, pending }) =>
        this.#record.all(id, type, keyId, payload, createdAt, pending ? 1 : 0, createdAt).map((row) => (row as { id: string }).id),
      ),
    )
  }

  /** One UPDATE … RETURNING: SQLite runs it whole, so two processes never claim one entry. */
  claimNotifications(holder: string, now: number, leaseMs: number, limit: number): PendingNotification[] {
    return claimedNotifications(this.#claim.all(now + leaseMs, holder, now, now, limit) as SqliteNotificationRow[])
  }

  settleNotification(id: string, outcome: DeliveryOutcome): void {
    if (outcome.delivered) this.#settleDelivered.run(id)
    else this.#settleFailed.run(outcome.nextAttemptAt, outcome.error, id)
  }

  pruneNotifications(before: number): void {
    this.#pruneNotifications.run(before)
  }

  acquireLease(name: string, holder: string, ttlMs: number, now: number): boolean {
    return this.#lease.get(name, holder, now + ttlMs, now) !== undefined
  }
}
