import Database from 'better-sqlite3'
import {
  ClosedError,
  ownerChangeId,
  pageOf,
  renameOptions,
  sqliteRowToRecord as rowToRecord,
  storeFailure,
  type ApiKeyPatch,
  type ApiKeyRecord,
  type AuditPage,
  type AuditQuery,
  type AuditRecord,
  type Charge,
  type ChargeResult,
  type CounterState,
  type CreditSpend,
  type DeliveryOutcome,
  type InsertCap,
  type KeyChange,
  type KeyStore,
  type LastUsedEntry,
  type LedgerEntry,
  type OwnerRecord,
  type PendingNotification,
  type SqliteKeyRow as KeyRow,
  type StoreListPage,
  type StoreListQuery,
  type UsageCutoffs,
  type UsageIncrement,
  type UsageQuery,
  type UsageRow,
  type WriteOptions,
} from '@keyward/core/store'
import { SqliteAnalytics } from './analytics.js'
import { SqliteChangeFeed } from './change-feed.js'
import { DEFAULT_TABLE } from './migrations.js'
import { RENAMED, timeout, type DeprecatedSqliteKeyStoreOptions, type SqliteKeyStoreOptions } from './options.js'
import { SqliteRecords } from './records.js'
import { retryWhileBusy } from './retry.js'
import { SqliteRules } from './rules.js'
import { migrateSchema, prepareSchema, schemaVersion } from './schema.js'
import { prepareStatements, type SqliteStatements } from './statements.js'

type Db = Database.Database

const TABLE_RE = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/
const COUNTER_SWEEP_EVERY = 1000

/**
 * A `KeyStore` on SQLite through better-sqlite3: the embedded default. WAL mode, prepared
 * statements, a schema created and migrated by the store. `subscribe` sees changes made by other
 * processes on the same file (for example `keyward revoke` from the CLI) within `pollIntervalMs`.
 *
 * @example
 * import { createKeyward } from '@keyward/core'
 * import { SqliteKeyStore } from '@keyward/sqlite'
 *
 * const keyward = createKeyward({ prefix: 'acme_live', store: new SqliteKeyStore('./keys.db') })
 */
export class SqliteKeyStore implements KeyStore {
  /** The better-sqlite3 database, for advanced use. */
  readonly db: Db
  readonly #table: string
  readonly #ownsDb: boolean
  readonly #managementTimeoutMs: number
  readonly #requestTimeoutMs: number
  readonly #s: SqliteStatements
  readonly #a: SqliteAnalytics
  readonly #records: SqliteRecords
  readonly #rules: SqliteRules
  readonly #feed: SqliteChangeFeed
  #increments = 0
  #closed = false

  constructor(options: string | SqliteKeyStoreOptions | DeprecatedSqliteKeyStoreOptions) {
    if (!options) throw new TypeError('SqliteKeyStore needs { connection }: a file path, ":memory:" or a better-sqlite3 Database')
    const opts =
      typeof options === 'string' ? { connection: options } : renameOptions('@keyward/sqlite', options as SqliteKeyStoreOptions, RENAMED)
    if (typeof opts.connection !== 'string' && typeof opts.connection?.prepare !== 'function')
      throw new TypeError('SqliteKeyStore needs { connection }: a file path, ":memory:" or a better-sqlite3 Database')
    const table = opts.table ?? DEFAULT_TABLE
    if (!TABLE_RE.test(table)) throw new TypeError(`table must match ${TABLE_RE}, got ${JSON.stringify(table)}`)
    const poll = opts.pollIntervalMs ?? 200
    if (!Number.isInteger(poll) || poll < 10) throw new RangeError(`pollIntervalMs must be an integer of at least 10, got ${String(poll)}`)
    this.#table = table
    this.#managementTimeoutMs = timeout('managementTimeoutMs', opts.managementTimeoutMs, 5_000)
    this.#requestTimeoutMs = timeout('requestTimeoutMs', opts.requestTimeoutMs, 100)
    this.#ownsDb = typeof opts.connection === 'string'
    try {
      this.db = typeof opts.connection === 'string' ? new Database(opts.connection) : opts.connection
    } catch (error) {
      throw storeFailure('open', error)
    }
    try {
      // Opening may wait for the lock in SQLite itself (blocking, once, at startup) ...
      this.db.pragma(`busy_timeout = ${this.#managementTimeoutMs}`)
      if (this.db.pragma('journal_mode', { simple: true }) !== 'memory') this.db.pragma('journal_mode = WAL')
      this.db.pragma('synchronous = NORMAL')
      prepareSchema(this.db, table, opts.migrate ?? true)
      this.#s = prepareStatements(this.db, table)
      this.#a = new SqliteAnalytics(this.db, table)
      this.#records = new SqliteRecords(this.db, table, this.#s)
      this.#rules = new SqliteRules(this.db, table, this.#s)
      this.#feed = new SqliteChangeFeed(this.db, this.#s, poll)
      // ... but afterwards SQLite never waits: better-sqlite3 is synchronous, so a wait inside SQLite
      // would freeze the event loop for every request. A busy database is retried asynchronously.
      this.db.pragma('busy_timeout = 0')
    } catch (error) {
      if (this.#ownsDb) this.db.close()
      throw storeFailure('open', error)
    }
  }

  /** The schema version of the database (0 when none). */
  get schemaVersion(): number {
    this.#checkOpen()
    try {
      return schemaVersion(this.db, this.#table)
    } catch (error) {
      throw storeFailure('schemaVersion', error)
    }
  }

  /** Apply pending migrations; a no-op when the schema is current. Run by the constructor unless `migrate: false`. */
  migrate(): void {
    this.#checkOpen()
    try {
      this.db.pragma(`busy_timeout = ${this.#managementTimeoutMs}`)
      try {
        migrateSchema(this.db, this.#table)
      } finally {
        this.db.pragma('busy_timeout = 0')
      }
    } catch (error) {
      throw storeFailure('migrate', error)
    }
  }

  #checkOpen = (): void => {
    if (this.#closed) throw new ClosedError('This SqliteKeyStore')
  }

  /** Run `run`, retried while the database is busy (see `retryWhileBusy`); after `close()`: `ClosedError`. */
  #attempt<T>(operation: string, timeoutMs: number, run: () => T): Promise<T> {
    return retryWhileBusy(operation, timeoutMs, this.#checkOpen, run)
  }

  /** Run `change` alone, or with `audit` appended when `changed(result)`, in one transaction. */
  #audited<T>(audit: AuditRecord | undefined, change: () => T, changed: (result: T) => boolean): T {
    if (audit === undefined) return change()
    return this.#a.transaction(() => {
      const result = change()
      if (changed(result)) this.#a.appendAudit([audit])
      return result
    })
  }

  async insert(record: ApiKeyRecord, options?: WriteOptions & { cap?: InsertCap }): Promise<void> {
    const insert = this.#records.insert(record, options?.cap)
    await this.#attempt('insert', this.#managementTimeoutMs, () => this.#audited(options?.audit, insert, () => true))
    this.#feed.emit(record.id)
  }

  /** Insert the records whose ids are new, with the audit entries of those, in one IMMEDIATE transaction (for imports). */
  async insertMany(records: ApiKeyRecord[], options?: { audit?: AuditRecord[] }): Promise<{ inserted: string[]; duplicates: string[] }> {
    const insertMany = this.#records.insertMany(records, options?.audit, (entries) => this.#a.appendAudit(entries))
    const result = await this.#attempt('insertMany', this.#managementTimeoutMs, insertMany)
    for (const id of result.inserted) this.#feed.emit(id)
    return result
  }

  async findById(id: string): Promise<ApiKeyRecord | null> {
    const row = (await this.#attempt('findById', this.#requestTimeoutMs, () => this.#s.findById.get(id))) as KeyRow | undefined
    if (row === undefined) return null
    return rowToRecord(row)
  }

  async update(id: string, patch: ApiKeyPatch, options?: { expectedRevision?: number } & WriteOptions): Promise<ApiKeyRecord | null> {
    const update = this.#records.update(id, patch, options?.expectedRevision)
    const row = await this.#attempt('update', this.#managementTimeoutMs, () =>
      this.#audited(options?.audit, update, (found) => found !== undefined),
    )
    if (row === undefined) return null
    this.#feed.emit(id)
    return rowToRecord(row)
  }

  async delete(id: string, options?: WriteOptions): Promise<boolean> {
    const remove = () => this.#s.delete.run(id)
    const deleted = await this.#attempt('delete', this.#managementTimeoutMs, () =>
      this.#audited(options?.audit, remove, (r) => r.changes > 0),
    )
    const existed = deleted.changes > 0
    if (existed) this.#feed.emit(id)
    return existed
  }

  async list(query: StoreListQuery): Promise<StoreListPage> {
    this.#checkOpen()
    const rows = await this.#attempt('list', this.#managementTimeoutMs, this.#records.list(query))
    return pageOf(rows.map(rowToRecord), query.limit)
  }

  async touch(entries: LastUsedEntry[]): Promise<void> {
    if (entries.length === 0) return
    await this.#attempt('touch', this.#requestTimeoutMs, () => this.#s.touchMany(entries))
  }

  async incrementCounter(name: string, amount: number, windowMs: number, now: number): Promise<CounterState> {
    const state = await this.#attempt('incrementCounter', this.#requestTimeoutMs, () => this.#rules.increment(name, amount, windowMs, now))
    this.#sweepSometimes(now)
    return state
  }

  /** Every so many counter writes, forget the slots no limit reads any more. */
  #sweepSometimes(now: number): void {
    if (++this.#increments % COUNTER_SWEEP_EVERY === 0)
      this.#attempt('sweepCounters', this.#requestTimeoutMs, () => this.#s.sweepCounters.run(now)).catch(() => undefined)
  }

  async charge(charges: Charge[], now: number): Promise<ChargeResult> {
    const result = await this.#attempt('charge', this.#requestTimeoutMs, () => this.#rules.charge(charges, now))
    this.#sweepSometimes(now)
    return result
  }

  async getOwner(id: string): Promise<OwnerRecord | null> {
    return this.#attempt('getOwner', this.#requestTimeoutMs, () => this.#rules.getOwner(id))
  }

  async putOwner(owner: OwnerRecord, options?: WriteOptions): Promise<OwnerRecord> {
    const put = this.#rules.putOwner(owner)
    const stored = await this.#attempt('putOwner', this.#managementTimeoutMs, () => this.#audited(options?.audit, put, () => true))
    this.#feed.emit(ownerChangeId(owner.id))
    return stored
  }

  async spendCredits(id: string, cost: number, now: number): Promise<CreditSpend | null> {
    return this.#attempt('spendCredits', this.#requestTimeoutMs, () => this.#s.spend.immediate(id, cost, now))
  }

  async addUsage(increments: UsageIncrement[], batchId?: string): Promise<void> {
    if (increments.length > 0) await this.#attempt('addUsage', this.#managementTimeoutMs, () => this.#a.addUsage(increments, batchId))
  }

  async readUsage(query: UsageQuery): Promise<UsageRow[]> {
    return this.#attempt('readUsage', this.#managementTimeoutMs, () => this.#a.readUsage(query))
  }

  async pruneUsage(cutoffs: UsageCutoffs): Promise<void> {
    await this.#attempt('pruneUsage', this.#managementTimeoutMs, () => this.#a.pruneUsage(cutoffs))
  }

  async appendAudit(entries: AuditRecord[]): Promise<void> {
    if (entries.length > 0) await this.#attempt('appendAudit', this.#managementTimeoutMs, () => this.#a.appendAudit(entries))
  }

  async listAudit(query: AuditQuery): Promise<AuditPage> {
    this.#checkOpen()
    return this.#attempt('listAudit', this.#managementTimeoutMs, () => this.#a.listAudit(query))
  }

  async pruneAudit(before: number): Promise<void> {
    await this.#attempt('pruneAudit', this.#managementTimeoutMs, () => this.#a.pruneAudit(before))
  }

  async recordNotifications(entries: LedgerEntry[]): Promise<string[]> {
    return this.#attempt('recordNotifications', this.#managementTimeoutMs, () => this.#a.recordNotifications(entries))
  }

  async claimNotifications(holder: string, now: number, leaseMs: number, limit: number): Promise<PendingNotification[]> {
    return this.#attempt('claimNotifications', this.#managementTimeoutMs, () => this.#a.claimNotifications(holder, now, leaseMs, limit))
  }

  async settleNotification(id: string, outcome: DeliveryOutcome): Promise<void> {
    await this.#attempt('settleNotification', this.#managementTimeoutMs, () => this.#a.settleNotification(id, outcome))
  }

  async pruneNotifications(before: number): Promise<void> {
    await this.#attempt('pruneNotifications', this.#managementTimeoutMs, () => this.#a.pruneNotifications(before))
  }

  async acquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    return this.#attempt('acquireLease', this.#managementTimeoutMs, () => this.#a.acquireLease(name, holder, ttlMs, now))
  }

  async subscribe(listener: (change: KeyChange) => void): Promise<() => Promise<void>> {
    this.#checkOpen()
    return this.#feed.subscribe(listener)
  }

  /** Stop polling and, when the store opened the file, close it. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#feed.close()
    if (this.#ownsDb) this.db.close()
  }
}
