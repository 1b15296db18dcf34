import pg from 'pg'
import {
  ChangeListeners,
  ClosedError,
  counterWindow,
  sqliteCounterSlot,
  decodeCursor,
  pageOf,
  renameOptions,
  storeFailure,
  urlPasswords,
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
  type StoreListPage,
  type StoreListQuery,
  type UsageCutoffs,
  type UsageIncrement,
  type UsageQuery,
  type UsageRow,
  type WriteOptions,
} from '@keyward/core/store'
import { auditValues } from './analytics-rows.js'
import { PostgresAnalytics } from './analytics.js'
import { PgCharges } from './charge.js'
import { PgInsert } from './insert.js'
import { ChangeListener } from './listener.js'
import { DEFAULT_SCHEMA, DEFAULT_TABLE } from './migrations.js'
import { CHANNEL, type PgNames } from './names.js'
import { positive, RENAMED, type PostgresKeyStoreOptions } from './options.js'
import { PgOwners } from './owners.js'
import { PgSchema } from './schema.js'
import { PATCH_COLUMNS, patchFields, rowToRecord, type KeyRow } from './rows.js'
import { buildStatements, type Statement, type Statements } from './statements.js'

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,40}$/
const COUNTER_SWEEP_EVERY = 1000

/**
 * A `KeyStore` on PostgreSQL through `pg`. Versioned migrations run by the store (or by hand with
 * {@link postgresMigrationSql}); conditional updates in one statement; `subscribe` through
 * LISTEN/NOTIFY (a trigger notifies, so changes by any client reach every instance), reconnecting
 * after a dropped connection.
 *
 * @example
 * import { createKeyward } from '@keyward/core'
 * import { PostgresKeyStore } from '@keyward/postgres'
 *
 * const keyward = createKeyward({
 *   prefix: 'acme_live',
 *   store: new PostgresKeyStore({ connection: process.env.DATABASE_URL! }),
 * })
 */
export class PostgresKeyStore implements KeyStore {
  /** The pool queries run on. */
  readonly pool: pg.Pool
  /** The PostgreSQL schema of the store's tables. */
  readonly namespace: string
  /** The keys table. */
  readonly table: string
  readonly #names: PgNames
  readonly #ownsPool: boolean
  readonly #schema: PgSchema
  readonly #requestTimeoutMs: number
  readonly #managementTimeoutMs: number
  readonly #connectTimeoutMs: number
  /** The connection's password, kept out of every error. */
  readonly #secrets: string[]
  readonly #s: Statements
  readonly #listeners = new ChangeListeners()
  readonly #payloadPrefix: string
  readonly #analytics: PostgresAnalytics
  readonly #owners: PgOwners
  readonly #inserts: PgInsert
  readonly #charges: PgCharges
  #listener: ChangeListener | undefined
  #increments = 0
  #closed = false

  constructor(options: string | PostgresKeyStoreOptions) {
    if (!options) throw new TypeError('PostgresKeyStore needs { connection }: a connection string or a pg.Pool')
    const opts = typeof options === 'string' ? { connection: options } : renameOptions('@keyward/postgres', options, RENAMED)
    if (typeof opts.connection !== 'string' && typeof opts.connection?.query !== 'function')
      throw new TypeError('PostgresKeyStore needs { connection }: a connection string or a pg.Pool')
    const schema = opts.namespace ?? DEFAULT_SCHEMA
    const table = opts.table ?? DEFAULT_TABLE
    for (const [label, value] of [
      ['namespace', schema],
      ['table', table],
    ] as const)
      if (!NAME_RE.test(value)) throw new TypeError(`${label} must match ${NAME_RE}, got ${JSON.stringify(value)}`)
    this.#names = { schema, table }
    this.namespace = schema
    this.table = table
    this.#requestTimeoutMs = positive('requestTimeoutMs', opts.requestTimeoutMs, 5_000)
    this.#managementTimeoutMs = positive('managementTimeoutMs', opts.managementTimeoutMs, 5_000)
    this.#connectTimeoutMs = positive('connectTimeoutMs', opts.connectTimeoutMs, 5_000)
    this.#ownsPool = typeof opts.connection === 'string'
    // The server cancels a statement after the longer of the two; each query's own deadline is its path's.
    const longest = Math.max(this.#requestTimeoutMs, this.#managementTimeoutMs)
    this.pool =
      typeof opts.connection === 'string'
        ? new pg.Pool({
            connectionString: opts.connection,
            max: positive('max', opts.max, 10),
            connectionTimeoutMillis: this.#connectTimeoutMs,
            query_timeout: longest,
            statement_timeout: longest,
            keepAlive: true,
          })
        : opts.connection
    const password = this.pool.options.password
    this.#secrets = [...urlPasswords(this.pool.options.connectionString), ...(typeof password === 'string' ? [password] : [])]
    this.pool.on('error', () => undefined)
    this.#schema = new PgSchema(this.pool, this.#names, opts.migrate ?? true)
    this.#s = buildStatements(this.#names)
    this.#payloadPrefix = `${schema}.${table}:`
    this.#analytics = new PostgresAnalytics(this.#names, (operation, statement, values) => this.#query(operation, statement, values))
    const audited = this.#audited.bind(this)
    this.#owners = new PgOwners(this.#names, (op, statement, values) => this.#query(op, statement, values), audited)
    this.#inserts = new PgInsert(this.#names, (op, statement, values) => this.#query(op, statement, values), audited, this.#s)
    this.#charges = new PgCharges(
      this.#names,
      (op, statement, values) => this.#query(op, statement, values, 'request'),
      this.#s.sweepCounters,
    )
  }

  /**
   * The PostgreSQL schema of the store's tables.
   * @deprecated Renamed {@link PostgresKeyStore.namespace}.
   */
  get schema(): string {
    return this.namespace
  }

  /** Apply pending migrations now (the store otherwise does it on first use unless `migrate: false`). */
  async migrate(): Promise<void> {
    this.#checkOpen()
    try {
      await this.#schema.migrate()
    } catch (error) {
      throw storeFailure('migrate', error, this.#secrets)
    }
  }

  /** The schema version in the database (0 when none). */
  async schemaVersion(): Promise<number> {
    this.#checkOpen()
    try {
      return await this.#schema.version()
    } catch (error) {
      throw storeFailure('schemaVersion', error, this.#secrets)
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new ClosedError('This PostgresKeyStore')
  }

  /**
   * One statement, after the schema check, with the deadline of its path; a failure rejects with
   * `StoreUnavailableError` naming `operation` (the driver's error as cause), after `close()` with
   * `ClosedError`.
   */
  async #query<R extends pg.QueryResultRow>(
    operation: string,
    statement: { name: string; text: string },
    values: unknown[],
    path: 'request' | 'management' = 'management',
  ): Promise<pg.QueryResult<R>> {
    this.#checkOpen()
    const timeout = path === 'request' ? this.#requestTimeoutMs : this.#managementTimeoutMs
    try {
      if (!this.#schema.isReady) await this.#schema.ensureReady()
      return await this.pool.query<R>({ name: statement.name, text: statement.text, values, query_timeout: timeout } as pg.QueryConfig)
    } catch (error) {
      throw storeFailure(operation, error, this.#secrets)
    }
  }

  insert(record: ApiKeyRecord, options?: WriteOptions & { cap?: InsertCap }): Promise<void> {
    return this.#inserts.insert(record, options)
  }

  /** The records whose ids are new, with their audit entries, in one statement (for imports). */
  insertMany(records: ApiKeyRecord[], options?: { audit?: AuditRecord[] }): Promise<{ inserted: string[]; duplicates: string[] }> {
    return this.#inserts.insertMany(records, options?.audit)
  }

  async findById(id: string): Promise<ApiKeyRecord | null> {
    const { rows } = await this.#query<KeyRow>('findById', this.#s.findById, [id], 'request')
    const row = rows[0]
    if (row === undefined) return null
    return rowToRecord(row)
  }

  async update(id: string, patch: ApiKeyPatch, options?: { expectedRevision?: number } & WriteOptions): Promise<ApiKeyRecord | null> {
    const fields = patchFields(patch)
    const conditional = options?.expectedRevision !== undefined
    const statement = this.#s.update(fields, conditional)
    const values: unknown[] = [id]
    if (conditional) values.push(options!.expectedRevision)
    for (const f of fields) values.push(PATCH_COLUMNS[f][1](patch[f] ?? null))
    const { rows } = await this.#query<KeyRow>('update', this.#audited(statement, values, options), values)
    return rows[0] === undefined ? null : rowToRecord(rows[0])
  }

  async delete(id: string, options?: WriteOptions): Promise<boolean> {
    const values: unknown[] = [id]
    const { rows } = await this.#query('delete', this.#audited(this.#s.delete, values, options), values)
    return rows.length > 0
  }

  /**
   * `change` as it is, or, with an audit entry, `change` (with `returning` appended, so it returns
   * a row) and the entry's insert as one statement, the entry appended only when `change` changed a
   * row. The entry's values are appended to `values`.
   */
  #audited(change: Statement, values: unknown[], options: WriteOptions | undefined, returning = ''): Statement {
    if (options?.audit === undefined) return change
    const first = values.length + 1
    values.push(...auditValues(options.audit))
    return this.#analytics.statements.audited(change.text + returning, first)
  }

  async list(query: StoreListQuery): Promise<StoreListPage> {
    const after = query.cursor === undefined ? null : decodeCursor(query.cursor)
    const statement = this.#s.list(query.ownerId !== undefined, query.prefix !== undefined, query.includeRevoked, after !== null)
    const values: unknown[] = []
    if (query.ownerId !== undefined) values.push(query.ownerId)
    if (query.prefix !== undefined) values.push(query.prefix)
    if (after !== null) values.push(new Date(after.createdAt), after.id)
    values.push(query.limit + 1)
    const { rows } = await this.#query<KeyRow>('list', statement, values)
    return pageOf(rows.map(rowToRecord), query.limit)
  }

  async touch(entries: LastUsedEntry[]): Promise<void> {
    if (entries.length === 0) return
    // One row per id (an UPDATE … FROM applies one of several matches): the later use, with its address.
    const latest = new Map<string, LastUsedEntry>()
    for (const entry of entries) {
      const seen = latest.get(entry.id)
      if (seen === undefined || seen.lastUsedAt < entry.lastUsedAt) latest.set(entry.id, entry)
    }
    const rows = [...latest.values()]
    const values = [rows.map((e) => e.id), rows.map((e) => e.lastUsedAt), rows.map((e) => e.from ?? null)]
    await this.#query('touch', this.#s.touch, values, 'request')
  }

  async incrementCounter(name: string, amount: number, windowMs: number, now: number): Promise<CounterState> {
    const { start, resetAt } = counterWindow(now, windowMs)
    // Kept one window past its end (`reset_at`), for sliding limits that weigh the previous window.
    const { rows } = await this.#query<{ count: number }>(
      'incrementCounter',
      this.#s.increment,
      [sqliteCounterSlot(name, windowMs, start), amount, resetAt + windowMs],
      'request',
    )
    if (++this.#increments % COUNTER_SWEEP_EVERY === 0)
      this.#query('sweepCounters', this.#s.sweepCounters, [now], 'request').catch(() => undefined)
    return { count: rows[0]!.count, resetAt }
  }

  async spendCredits(id: string, cost: number, now: number): Promise<CreditSpend | null> {
    const { rows } = await this.#query<{ ok: boolean; remaining: number; next_refill_at: number | null }>(
      'spendCredits',
      this.#s.spend,
      [id, cost, now],
      'request',
    )
    const row = rows[0]
    return row === undefined ? null : { ok: row.ok, remaining: row.remaining, nextRefillAt: row.next_refill_at }
  }

  /** All or nothing in one call of the `_charge` function, exact across connections and processes. */
  charge(charges: Charge[], now: number): Promise<ChargeResult> {
    return this.#charges.charge(charges, now)
  }

  getOwner(id: string): Promise<OwnerRecord | null> {
    return this.#owners.get(id)
  }

  putOwner(owner: OwnerRecord, options?: WriteOptions): Promise<OwnerRecord> {
    return this.#owners.put(owner, options)
  }

  addUsage(increments: UsageIncrement[], batchId?: string): Promise<void> {
    return this.#analytics.addUsage(increments, batchId)
  }

  readUsage(query: UsageQuery): Promise<UsageRow[]> {
    return this.#analytics.readUsage(query)
  }

  pruneUsage(cutoffs: UsageCutoffs): Promise<void> {
    return this.#analytics.pruneUsage(cutoffs)
  }

  appendAudit(entries: AuditRecord[]): Promise<void> {
    return this.#analytics.appendAudit(entries)
  }

  /** A tampered cursor rejects with `InvalidInputError` before any query. */
  listAudit(query: AuditQuery): Promise<AuditPage> {
    return this.#analytics.listAudit(query)
  }

  pruneAudit(before: number): Promise<void> {
    return this.#analytics.pruneAudit(before)
  }

  recordNotifications(entries: LedgerEntry[]): Promise<string[]> {
    return this.#analytics.recordNotifications(entries)
  }

  /** Atomic across connections and processes: rows another claim is locking are skipped, never handed out twice. */
  claimNotifications(holder: string, now: number, leaseMs: number, limit: number): Promise<PendingNotification[]> {
    return this.#analytics.claimNotifications(holder, now, leaseMs, limit)
  }

  settleNotification(id: string, outcome: DeliveryOutcome): Promise<void> {
    return this.#analytics.settleNotification(id, outcome)
  }

  pruneNotifications(before: number): Promise<void> {
    return this.#analytics.pruneNotifications(before)
  }

  acquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    return this.#analytics.acquireLease(name, holder, ttlMs, now)
  }

  async subscribe(listener: (change: KeyChange) => void): Promise<() => Promise<void>> {
    this.#checkOpen()
    this.#listeners.add(listener)
    if (this.#listener === undefined) {
      this.#listener = new ChangeListener({
        clientConfig: { ...this.pool.options, connectionTimeoutMillis: this.#connectTimeoutMs },
        channel: CHANNEL,
        onPayload: (payload) => {
          if (payload.startsWith(this.#payloadPrefix)) this.#listeners.emit(payload.slice(this.#payloadPrefix.length))
        },
        // While notifications cannot arrive, nothing cached can be trusted: drop it all, so reads
        // go to the store (and fail closed while it is down). Again after the reconnect.
        onGap: () => this.#listeners.emit('*'),
      })
      await this.#listener.start()
    }
    return async () => {
      this.#listeners.delete(listener)
      if (this.#listeners.size === 0 && this.#listener !== undefined) {
        const stopping = this.#listener
        this.#listener = undefined
        await stopping.stop()
      }
    }
  }

  /** Whether `subscribe`'s LISTEN connection is up (false between a drop and the reconnect). */
  get listening(): boolean {
    return this.#listener?.listening ?? false
  }

  /** Stop listening and, when the store made the pool, end it. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#listeners.clear()
    await this.#listener?.stop()
    this.#listener = undefined
    if (this.#ownsPool) await this.pool.end()
  }
}
