import type pg from 'pg'
import {
  ClosedError,
  counterWindow,
  sqliteCounterSlot,
  decodeCursor,
  pageOf,
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
import { ChangeFeed } from './feed.js'
import type { PgNames } from './names.js'
import type { PostgresKeyStoreOptions } from './options.js'
import { PgOwners } from './owners.js'
import { ReplicaReads } from './replica.js'
import { PgSchema } from './schema.js'
import { storeSettings } from './settings.js'
import { latestUses, PATCH_COLUMNS, patchFields, rowToRecord, type KeyRow } from './rows.js'
import { buildStatements, type Statement, type Statements } from './statements.js'

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
  /** The pool queries run on (all of them, without a `replica`). */
  readonly pool: pg.Pool
  /** The pool replica reads run on, with a `replica`. */
  readonly replicaPool: pg.Pool | undefined
  /** The PostgreSQL schema of the store's tables. */
  readonly namespace: string
  /** The keys table. */
  readonly table: string
  readonly #names: PgNames
  /** The pools the store made, which `close()` ends. */
  readonly #ownPools: pg.Pool[]
  readonly #replica: ReplicaReads | undefined
  readonly #schema: PgSchema
  readonly #requestTimeoutMs: number
  readonly #managementTimeoutMs: number
  readonly #connectTimeoutMs: number
  /** The connections' passwords, kept out of every error. */
  readonly #secrets: string[]
  readonly #s: Statements
  readonly #feed: ChangeFeed
  readonly #analytics: PostgresAnalytics
  readonly #owners: PgOwners
  readonly #inserts: PgInsert
  readonly #charges: PgCharges
  #increments = 0
  #closed = false

  constructor(options: string | PostgresKeyStoreOptions) {
    const settings = storeSettings(options)
    this.#names = settings.names
    this.namespace = settings.names.schema
    this.table = settings.names.table
    this.#requestTimeoutMs = settings.requestTimeoutMs
    this.#managementTimeoutMs = settings.managementTimeoutMs
    this.#connectTimeoutMs = settings.connectTimeoutMs
    this.pool = settings.pool
    this.replicaPool = settings.replica
    this.#ownPools = settings.owned
    this.#secrets = settings.secrets
    this.#replica =
      settings.replica && new ReplicaReads({ primary: this.pool, replica: settings.replica, timeoutMs: this.#requestTimeoutMs })
    this.#schema = new PgSchema(this.pool, this.#names, settings.migrate)
    this.#s = buildStatements(this.#names)
    this.#feed = new ChangeFeed({
      clientConfig: () => ({ ...this.pool.options, connectionTimeoutMillis: this.#connectTimeoutMs }),
      payloadPrefix: `${this.namespace}.${this.table}:`,
      fence: this.#replica?.fence,
    })
    this.#analytics = new PostgresAnalytics(this.#names, (operation, statement, values) => this.#query(operation, statement, values))
    const audited = this.#audited.bind(this)
    this.#owners = new PgOwners(
      this.#names,
      (op, statement, values) => this.#query(op, statement, values),
      audited,
      (op, statement, values) => this.#read(op, statement, values, `owner:${values[0]}`, 'request'),
    )
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

  /**
   * A read the replica may answer (`key`: the id, `owner:<id>`, or undefined for a listing): see
   * `ReplicaReads`. Without a replica, or before the schema check, a `#query` on the primary.
   */
  #read<R extends pg.QueryResultRow>(
    operation: string,
    statement: Statement,
    values: unknown[],
    key: string | undefined,
    path: 'request' | 'management',
  ): Promise<pg.QueryResult<R>> {
    const primary = () => this.#query<R>(operation, statement, values, path)
    if (this.#replica === undefined || this.#closed || !this.#schema.isReady) return primary()
    // The change feed tells the fence which ids the replica may not have yet.
    if (!this.#feed.started) this.#feed.start().catch(() => undefined)
    const timeout = path === 'request' ? this.#requestTimeoutMs : this.#managementTimeoutMs
    return this.#replica.read(key, statement, values, timeout, primary)
  }

  /** `write`, after which (done or failed) `ids` read from the primary until the replica has it. */
  #wrote<T>(write: Promise<T>, ids: Iterable<string>): Promise<T> {
    const fence = this.#replica?.fence
    return fence === undefined
      ? write
      : write.finally(() => {
          for (const id of ids) fence.changed(id)
        })
  }

  insert(record: ApiKeyRecord, options?: WriteOptions & { cap?: InsertCap }): Promise<void> {
    return this.#wrote(this.#inserts.insert(record, options), [record.id])
  }

  /** The records whose ids are new, with their audit entries, in one statement (for imports). */
  insertMany(records: ApiKeyRecord[], options?: { audit?: AuditRecord[] }): Promise<{ inserted: string[]; duplicates: string[] }> {
    return this.#wrote(
      this.#inserts.insertMany(records, options?.audit),
      records.map((r) => r.id),
    )
  }

  async findById(id: string): Promise<ApiKeyRecord | null> {
    const { rows } = await this.#read<KeyRow>('findById', this.#s.findById, [id], id, 'request')
    return rows[0] === undefined ? null : rowToRecord(rows[0])
  }

  async update(id: string, patch: ApiKeyPatch, options?: { expectedRevision?: number } & WriteOptions): Promise<ApiKeyRecord | null> {
    const fields = patchFields(patch)
    const conditional = options?.expectedRevision !== undefined
    const statement = this.#s.update(fields, conditional)
    const values: unknown[] = [id]
    if (conditional) values.push(options!.expectedRevision)
    for (const f of fields) values.push(PATCH_COLUMNS[f][1](patch[f] ?? null))
    const { rows } = await this.#wrote(this.#query<KeyRow>('update', this.#audited(statement, values, options), values), [id])
    return rows[0] === undefined ? null : rowToRecord(rows[0])
  }

  async delete(id: string, options?: WriteOptions): Promise<boolean> {
    const values: unknown[] = [id]
    const { rows } = await this.#wrote(this.#query('delete', this.#audited(this.#s.delete, values, options), values), [id])
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
    const { rows } = await this.#read<KeyRow>('list', statement, values, undefined, 'management')
    return pageOf(rows.map(rowToRecord), query.limit)
  }

  async touch(entries: LastUsedEntry[]): Promise<void> {
    if (entries.length === 0) return
    const rows = latestUses(entries)
    const values = [rows.map((e) => e.id), rows.map((e) => e.lastUsedAt), rows.map((e) => e.from ?? null)]
    await this.#wrote(this.#query('touch', this.#s.touch, values, 'request'), values[0] as string[])
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
    const { rows } = await this.#wrote(
      this.#query<{ ok: boolean; remaining: number; next_refill_at: number | null }>(
        'spendCredits',
        this.#s.spend,
        [id, cost, now],
        'request',
      ),
      [id],
    )
    const row = rows[0]
    return row === undefined ? null : { ok: row.ok, remaining: row.remaining, nextRefillAt: row.next_refill_at }
  }

  /** All or nothing in one call of the `_charge` function, exact across connections and processes. */
  charge(charges: Charge[], now: number): Promise<ChargeResult> {
    const credited = charges.flatMap((c) => (c.type !== 'credits' ? [] : [c.holder === 'owner' ? `owner:${c.id}` : c.id]))
    return credited.length === 0 ? this.#charges.charge(charges, now) : this.#wrote(this.#charges.charge(charges, now), credited)
  }

  getOwner(id: string): Promise<OwnerRecord | null> {
    return this.#owners.get(id)
  }

  putOwner(owner: OwnerRecord, options?: WriteOptions): Promise<OwnerRecord> {
    return this.#wrote(this.#owners.put(owner, options), [`owner:${owner.id}`])
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
    return await this.#feed.subscribe(listener)
  }

  /** Whether `subscribe`'s LISTEN connection is up (false between a drop and the reconnect). */
  get listening(): boolean {
    return this.#feed.listening
  }

  /**
   * With a `replica`: whether reads of unchanged keys go to it now. False while the change feed is
   * down, until the replica has replayed what the primary had written when it (re)connected, and
   * for a while after a replica read failed: reads then go to the primary.
   */
  get replicaReady(): boolean {
    return this.#replica?.ready ?? false
  }

  /** Stop listening and, when the store made the pools, end them. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#feed.close()
    await Promise.all(this.#ownPools.map((pool) => pool.end()))
  }
}
