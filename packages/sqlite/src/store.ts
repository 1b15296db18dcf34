import Database from 'better-sqlite3'
import {
  ChangeListeners,
  ClosedError,
  counterWindow,
  decodeCursor,
  DuplicateKeyIdError,
  KeyStoreSchemaError,
  pageOf,
  renameOptions,
  storeFailure,
  type ApiKeyPatch,
  type ApiKeyRecord,
  type AuditPage,
  type AuditQuery,
  type AuditRecord,
  type CounterState,
  type CreditSpend,
  type DeliveryOutcome,
  type KeyChange,
  type KeyStore,
  type LastUsedEntry,
  type LedgerEntry,
  type PendingNotification,
  type StoreListPage,
  type StoreListQuery,
  type UsageCutoffs,
  type UsageIncrement,
  type UsageQuery,
  type UsageRow,
  type WriteOptions,
} from '@keyward/core/store'
import { SqliteAnalytics } from './analytics.js'
import { RENAMED, timeout, type DeprecatedSqliteKeyStoreOptions, type SqliteKeyStoreOptions } from './options.js'
import { prepareStatements, type SqliteStatements } from './statements.js'
import { createMigrationsTableSql, DEFAULT_TABLE, LATEST_VERSION, MIGRATIONS, migrationsTable, q } from './migrations.js'
import {
  encodeSqlitePatchValue as encodePatchValue,
  SQLITE_PATCH_COLUMNS as PATCH_COLUMNS,
  sqlitePatchFields as patchFields,
  sqliteRecordToRow as recordToRow,
  sqliteRowToRecord as rowToRecord,
  type SqliteKeyRow as KeyRow,
} from '@keyward/core/store'

/** Named in schema errors: which package to upgrade, and which function prints its SQL. */
const SCHEMA_ERROR_STORE = { packageName: '@keyward/sqlite', migrationSql: 'sqliteMigrationSql' }

type Db = Database.Database
type Statement = Database.Statement

const TABLE_RE = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/
const COUNTER_SWEEP_EVERY = 1000
/** Longest pause between two tries while another connection holds the lock. */
const MAX_RETRY_PAUSE_MS = 20

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/** SQLITE_BUSY and its extended codes (BUSY_SNAPSHOT, BUSY_RECOVERY, BUSY_TIMEOUT). */
const isBusy = (error: unknown): boolean => String((error as { code?: unknown } | null)?.code).startsWith('SQLITE_BUSY')

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
  readonly #pollIntervalMs: number
  readonly #managementTimeoutMs: number
  readonly #requestTimeoutMs: number
  readonly #s: SqliteStatements
  readonly #a: SqliteAnalytics
  readonly #updates = new Map<string, Statement>()
  readonly #listeners = new ChangeListeners()
  #poller: ReturnType<typeof setInterval> | undefined
  #lastVersion = 0
  #lastSeq = 0
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
    this.#pollIntervalMs = poll
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
      this.#prepareSchema(opts.migrate ?? true)
      this.#s = prepareStatements(this.db, table)
      this.#a = new SqliteAnalytics(this.db, table)
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
      return this.#schemaVersion()
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
        this.#migrate()
      } finally {
        this.db.pragma('busy_timeout = 0')
      }
    } catch (error) {
      throw storeFailure('migrate', error)
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new ClosedError('This SqliteKeyStore')
  }

  #schemaVersion(): number {
    const exists = this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(migrationsTable(this.#table))
    if (!exists) return 0
    return (this.db.prepare(`SELECT COALESCE(MAX(version), 0) AS v FROM ${q(migrationsTable(this.#table))}`).get() as { v: number }).v
  }

  #prepareSchema(migrate: boolean): void {
    const version = this.#schemaVersion()
    if (version > LATEST_VERSION)
      throw new KeyStoreSchemaError('schema_too_new', version, LATEST_VERSION, `table "${this.#table}"`, SCHEMA_ERROR_STORE)
    if (version === LATEST_VERSION) return
    if (!migrate)
      throw new KeyStoreSchemaError(
        version === 0 ? 'schema_missing' : 'schema_outdated',
        version,
        LATEST_VERSION,
        `table "${this.#table}"`,
        SCHEMA_ERROR_STORE,
      )
    this.#migrate()
  }

  #migrate(): void {
    const table = this.#table
    // IMMEDIATE: two processes opening a new file at once migrate one after the other.
    this.db
      .transaction(() => {
        this.db.exec(createMigrationsTableSql(table))
        const version = this.#schemaVersion()
        if (version > LATEST_VERSION)
          throw new KeyStoreSchemaError('schema_too_new', version, LATEST_VERSION, `table "${table}"`, SCHEMA_ERROR_STORE)
        const record = this.db.prepare(`INSERT INTO ${q(migrationsTable(table))} (version, name, applied_at) VALUES (?, ?, ?)`)
        for (const m of MIGRATIONS) {
          if (m.version <= version) continue
          this.db.exec(m.sql(table))
          record.run(m.version, m.name, Date.now())
        }
      })
      .immediate()
  }

  /**
   * Run `run` (one statement or transaction), trying again while another connection holds the
   * lock, for up to `timeoutMs`, without blocking the event loop; then it rejects with
   * `StoreUnavailableError` (`operation`, the SQLITE_BUSY as cause). A busy statement did nothing,
   * so trying it again is safe. After `close()`: `ClosedError`.
   */
  async #attempt<T>(operation: string, timeoutMs: number, run: () => T): Promise<T> {
    const deadline = performance.now() + timeoutMs
    for (let pause = 1; ; pause = Math.min(pause * 2, MAX_RETRY_PAUSE_MS)) {
      this.#checkOpen()
      try {
        return run()
      } catch (error) {
        const left = deadline - performance.now()
        if (!isBusy(error) || left <= 0) throw storeFailure(operation, error)
        await sleep(Math.min(pause, left))
      }
    }
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

  async insert(record: ApiKeyRecord, options?: WriteOptions): Promise<void> {
    const row = recordToRow(record)
    const insert = () => {
      try {
        return this.#s.insert.run(row)
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new DuplicateKeyIdError(record.id)
        throw error
      }
    }
    await this.#attempt('insert', this.#managementTimeoutMs, () => this.#audited(options?.audit, insert, () => true))
    this.#listeners.emit(record.id)
  }

  async findById(id: string): Promise<ApiKeyRecord | null> {
    const row = (await this.#attempt('findById', this.#requestTimeoutMs, () => this.#s.findById.get(id))) as KeyRow | undefined
    if (row === undefined) return null
    return rowToRecord(row)
  }

  async update(id: string, patch: ApiKeyPatch, options?: { expectedRevision?: number } & WriteOptions): Promise<ApiKeyRecord | null> {
    const fields = patchFields(patch)
    const conditional = options?.expectedRevision !== undefined
    const params: Record<string, unknown> = { id }
    for (const f of fields) params[f] = encodePatchValue(f, patch)
    if (conditional) params.expectedRevision = options!.expectedRevision
    const row = await this.#attempt('update', this.#managementTimeoutMs, () =>
      this.#audited(
        options?.audit,
        () => this.#updateStatement(fields, conditional).get(params) as KeyRow | undefined,
        (found) => found !== undefined,
      ),
    )
    if (row === undefined) return null
    this.#listeners.emit(id)
    return rowToRecord(row)
  }

  /** The UPDATE for one set of patched fields, prepared on first use. */
  #updateStatement(fields: readonly (keyof ApiKeyPatch)[], conditional: boolean): Statement {
    const signature = `${fields.join(',')}|${conditional}`
    let statement = this.#updates.get(signature)
    if (statement === undefined) {
      const sets = fields.map((f) => `${PATCH_COLUMNS[f][0]} = @${f}`)
      sets.push('revision = revision + 1')
      statement = this.db.prepare(
        `UPDATE ${q(this.#table)} SET ${sets.join(', ')} WHERE id = @id${conditional ? ' AND revision = @expectedRevision' : ''} RETURNING *`,
      )
      this.#updates.set(signature, statement)
    }
    return statement
  }

  async delete(id: string, options?: WriteOptions): Promise<boolean> {
    const deleted = await this.#attempt('delete', this.#managementTimeoutMs, () =>
      this.#audited(
        options?.audit,
        () => this.#s.delete.run(id),
        (result) => result.changes > 0,
      ),
    )
    const existed = deleted.changes > 0
    if (existed) this.#listeners.emit(id)
    return existed
  }

  async list(query: StoreListQuery): Promise<StoreListPage> {
    this.#checkOpen()
    const after = query.cursor === undefined ? null : decodeCursor(query.cursor)
    const statement = this.#s.list(query.ownerId !== undefined, query.prefix !== undefined, query.includeRevoked, after !== null)
    const params = {
      ownerId: query.ownerId ?? null,
      prefix: query.prefix ?? null,
      createdAt: after?.createdAt ?? null,
      afterId: after?.id ?? null,
      limit: query.limit + 1,
    }
    const rows = (await this.#attempt('list', this.#managementTimeoutMs, () => statement.all(params))) as KeyRow[]
    return pageOf(rows.map(rowToRecord), query.limit)
  }

  async touch(entries: LastUsedEntry[]): Promise<void> {
    if (entries.length === 0) return
    await this.#attempt('touch', this.#requestTimeoutMs, () => this.#s.touchMany(entries))
  }

  async incrementCounter(name: string, amount: number, windowMs: number, now: number): Promise<CounterState> {
    const { start, resetAt } = counterWindow(now, windowMs)
    const slot = `${name}@${windowMs}:${start}`
    const row = (await this.#attempt('incrementCounter', this.#requestTimeoutMs, () => this.#s.increment.get(slot, amount, resetAt))) as {
      count: number
      reset_at: number
    }
    if (++this.#increments % COUNTER_SWEEP_EVERY === 0)
      this.#attempt('sweepCounters', this.#requestTimeoutMs, () => this.#s.sweepCounters.run(now)).catch(() => undefined)
    return { count: row.count, resetAt: row.reset_at }
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
    if (this.#listeners.size === 0) {
      try {
        this.#startPolling()
      } catch (error) {
        throw storeFailure('subscribe', error)
      }
    }
    this.#listeners.add(listener)
    return async () => {
      this.#listeners.delete(listener)
      if (this.#listeners.size === 0) this.#stopPolling()
    }
  }

  /** Stop polling and, when the store opened the file, close it. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#listeners.clear()
    this.#stopPolling()
    if (this.#ownsDb) this.db.close()
  }

  #startPolling(): void {
    this.#lastVersion = this.db.pragma('data_version', { simple: true }) as number
    this.#lastSeq = (this.#s.maxSeq.get() as { seq: number }).seq
    this.#poller = setInterval(() => this.#poll(), this.#pollIntervalMs)
    this.#poller.unref?.()
  }

  #stopPolling(): void {
    if (this.#poller !== undefined) clearInterval(this.#poller)
    this.#poller = undefined
  }

  /** One check for changes by other connections: cheap unless the file changed. */
  #poll(): void {
    try {
      const version = this.db.pragma('data_version', { simple: true }) as number
      if (version === this.#lastVersion) return
      this.#lastVersion = version
      const rows = this.#s.changesSince.all(this.#lastSeq) as { seq: number; key_id: string }[]
      if (rows.length === 0) return
      // The log keeps the latest 10,000 changes; a reader that fell further behind may have
      // missed some, so subscribers drop everything they cached.
      if (this.#lastSeq > 0 && rows[0]!.seq > this.#lastSeq + 1) this.#listeners.emit('*')
      this.#lastSeq = rows[rows.length - 1]!.seq
      for (const row of rows) this.#listeners.emit(row.key_id)
    } catch {
      // The file is busy or gone; the next tick tries again.
    }
  }
}
