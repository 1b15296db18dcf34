import {
  ClosedError,
  decodeCursor,
  DuplicateKeyIdError,
  LimitExceededError,
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
import { D1Analytics } from './analytics.js'
import { insertMany } from './insert-many.js'
import type { D1DatabaseLike, D1KeyStoreOptions, D1StatementLike } from './options.js'
import {
  encodeSqlitePatchValue as encodePatchValue,
  SQLITE_PATCH_COLUMNS as PATCH_COLUMNS,
  sqlitePatchFields as patchFields,
  sqliteInsertKeySql as insertKeySql,
  sqliteInsertKeyValues as insertKeyValues,
  sqliteRecordToRow as recordToRow,
  sqliteRowToOwner as rowToOwner,
  sqliteRowToRecord as rowToRecord,
  type SqliteOwnerRow as OwnerRow,
  sqliteTouchSql,
  sqliteTouchValues,
  type SqliteKeyRow as KeyRow,
} from '@keyward/core/store'
import { D1Rules } from './rules.js'
import { q } from './schema.js'
import { checkSchema, migrateTable, readSchemaVersion } from './schema-check.js'

const TABLE_RE = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/

/**
 * A `KeyStore` on Cloudflare D1 (SQLite at the edge), for Keyward in a Worker. Counters and credits
 * are single statements (an upsert for rate-limit and throttle counters, one `UPDATE … RETURNING`
 * that refills and spends credits) and `charge` one batch, so concurrent requests in any number of
 * isolates let exactly the limit through. The schema is created on first use. D1 publishes no changes: other instances
 * see a change within the record cache's TTL (`cache.ttlMs`), and keep a short one.
 *
 * @example
 * import { createKeyward } from '@keyward/core'
 * import { D1KeyStore } from '@keyward/d1'
 *
 * export default {
 *   async fetch(request, env) {
 *     const keyward = createKeyward({ prefix: 'acme_live', store: new D1KeyStore({ connection: env.DB }), pepper: env.KEYWARD_PEPPER })
 *     …
 *   },
 * }
 */
export class D1KeyStore implements KeyStore {
  readonly #db: D1DatabaseLike
  readonly #table: string
  readonly #migrate: boolean
  readonly #updates = new Map<string, string>()
  readonly #analytics: D1Analytics
  readonly #rules: D1Rules
  #ready: Promise<void> | undefined
  #closed = false

  constructor(options: D1KeyStoreOptions) {
    if (!options || typeof options.connection?.prepare !== 'function' || typeof options.connection.batch !== 'function')
      throw new TypeError('D1KeyStore needs { connection }: the D1 binding of your Worker, like env.DB')
    const table = options.table ?? 'keyward_keys'
    if (!TABLE_RE.test(table)) throw new TypeError(`table must match ${TABLE_RE}, got ${JSON.stringify(table)}`)
    const migrate = options.migrate ?? true
    if (typeof migrate !== 'boolean') throw new TypeError('migrate must be a boolean')
    this.#db = options.connection
    this.#table = table
    this.#migrate = migrate
    this.#analytics = new D1Analytics(options.connection, table)
    this.#rules = new D1Rules(options.connection, table)
  }

  /** The schema version of the table (0 when none). */
  async schemaVersion(): Promise<number> {
    this.#checkOpen()
    try {
      return await readSchemaVersion(this.#db, this.#table)
    } catch (error) {
      throw storeFailure('schemaVersion', error)
    }
  }

  /** Apply pending migrations in one batch (a transaction); a no-op when the schema is current. */
  async migrate(): Promise<void> {
    this.#checkOpen()
    try {
      await migrateTable(this.#db, this.#table)
    } catch (error) {
      throw storeFailure('migrate', error)
    }
  }

  /** The schema checked (and migrated, unless `migrate: false`) once, before the first operation. */
  #prepared(): Promise<void> {
    this.#ready ??= (async () => {
      if (this.#migrate) return this.migrate()
      await checkSchema(this.#db, this.#table)
    })().catch((error: unknown) => {
      this.#ready = undefined // a failed check is tried again by the next operation
      throw error
    })
    return this.#ready
  }

  #checkOpen(): void {
    if (this.#closed) throw new ClosedError('This D1KeyStore')
  }

  /** Run one operation after the schema check: D1's errors become `StoreUnavailableError` naming `operation`. */
  async #run<T>(operation: string, run: () => Promise<T>): Promise<T> {
    this.#checkOpen()
    try {
      await this.#prepared()
      return await run()
    } catch (error) {
      throw storeFailure(operation, error)
    }
  }

  /** Run `change` alone, or in one batch (a transaction) with `audit`, appended only when `change` changed a row. */
  async #audited<Row = KeyRow>(change: D1StatementLike, audit: AuditRecord | undefined) {
    const results = await this.#db.batch<Row>(audit ? [change, this.#analytics.appendStatement(audit, true)] : [change])
    return results[0]!
  }

  async insert(record: ApiKeyRecord, options?: WriteOptions & { cap?: InsertCap }): Promise<void> {
    // The cap counts the owner's live keys in the INSERT … SELECT itself: nothing inserted when reached.
    const cap = options?.cap !== undefined && record.ownerId !== null ? options.cap : undefined
    const insert = this.#db.prepare(insertKeySql(this.#table, cap !== undefined)).bind(...insertKeyValues(recordToRow(record), cap))
    const inserted = await this.#run('insert', async () => {
      try {
        return await this.#audited(insert, options?.audit)
      } catch (error) {
        // The keys table's id, not the audit log's.
        if (String((error as Error)?.message).includes(`UNIQUE constraint failed: ${this.#table}.id`))
          throw new DuplicateKeyIdError(record.id)
        throw error
      }
    })
    if (cap !== undefined && (inserted.meta.changes ?? 0) === 0) throw new LimitExceededError(record.ownerId!, cap.maxKeys)
  }

  /** Insert the records whose ids are new, with the audit entries of those, in one batch (a transaction), for imports. */
  async insertMany(records: ApiKeyRecord[], options?: { audit?: AuditRecord[] }): Promise<{ inserted: string[]; duplicates: string[] }> {
    return this.#run('insertMany', () => insertMany(this.#db, this.#table, this.#analytics, records, options?.audit))
  }

  async findById(id: string): Promise<ApiKeyRecord | null> {
    const sql = `SELECT * FROM ${q(this.#table)} WHERE id = ?`
    const row = await this.#run('findById', () => this.#db.prepare(sql).bind(id).first<KeyRow>())
    return row === null ? null : rowToRecord(row)
  }

  async update(id: string, patch: ApiKeyPatch, options?: { expectedRevision?: number } & WriteOptions): Promise<ApiKeyRecord | null> {
    const fields = patchFields(patch)
    const conditional = options?.expectedRevision !== undefined
    const values = [...fields.map((f) => encodePatchValue(f, patch)), id, ...(conditional ? [options!.expectedRevision] : [])]
    const { results } = await this.#run('update', () =>
      this.#audited(this.#db.prepare(this.#updateSql(fields, conditional)).bind(...values), options?.audit),
    )
    return results.length === 0 ? null : rowToRecord(results[0]!)
  }

  #updateSql(fields: readonly (keyof ApiKeyPatch)[], conditional: boolean): string {
    const signature = `${fields.join(',')}|${conditional}`
    let sql = this.#updates.get(signature)
    if (sql === undefined) {
      const sets = [...fields.map((f) => `${PATCH_COLUMNS[f][0]} = ?`), 'revision = revision + 1']
      sql = `UPDATE ${q(this.#table)} SET ${sets.join(', ')} WHERE id = ?${conditional ? ' AND revision = ?' : ''} RETURNING *`
      this.#updates.set(signature, sql)
    }
    return sql
  }

  async delete(id: string, options?: WriteOptions): Promise<boolean> {
    const result = await this.#run('delete', () =>
      this.#audited(this.#db.prepare(`DELETE FROM ${q(this.#table)} WHERE id = ?`).bind(id), options?.audit),
    )
    return (result.meta.changes ?? 0) > 0
  }

  async list(query: StoreListQuery): Promise<StoreListPage> {
    this.#checkOpen()
    const after = query.cursor === undefined ? null : decodeCursor(query.cursor)
    const where: string[] = []
    const values: unknown[] = []
    if (query.ownerId !== undefined) where.push('owner_id = ?') && values.push(query.ownerId)
    if (query.prefix !== undefined) where.push('prefix = ?') && values.push(query.prefix)
    if (!query.includeRevoked) where.push('revoked_at IS NULL')
    if (after !== null) where.push('(created_at, id) < (?, ?)') && values.push(after.createdAt, after.id)
    const sql = `SELECT * FROM ${q(this.#table)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`
    const select = this.#db.prepare(sql).bind(...values, query.limit + 1)
    const { results } = await this.#run('list', () => select.all<KeyRow>())
    return pageOf(results.map(rowToRecord), query.limit)
  }

  async touch(entries: LastUsedEntry[]): Promise<void> {
    if (entries.length === 0) return
    const sql = sqliteTouchSql(this.#table)
    await this.#run('touch', () => this.#db.batch(entries.map((e) => this.#db.prepare(sql).bind(...sqliteTouchValues(e)))))
  }

  async incrementCounter(name: string, amount: number, windowMs: number, now: number): Promise<CounterState> {
    return this.#run('incrementCounter', () => this.#rules.increment(name, amount, windowMs, now))
  }

  async spendCredits(id: string, cost: number, now: number): Promise<CreditSpend | null> {
    return this.#run('spendCredits', () => this.#rules.spendCredits(id, cost, now))
  }

  async charge(charges: Charge[], now: number): Promise<ChargeResult> {
    return this.#run('charge', () => this.#rules.charge(charges, now))
  }

  async getOwner(id: string): Promise<OwnerRecord | null> {
    return this.#run('getOwner', () => this.#rules.getOwner(id))
  }

  /** Create or replace an owner, with `options.audit` in the same batch. D1 publishes no changes: others see it within their cache's TTL. */
  async putOwner(owner: OwnerRecord, options?: WriteOptions): Promise<OwnerRecord> {
    const { results } = await this.#run('putOwner', () => this.#audited<OwnerRow>(this.#rules.putStatement(owner), options?.audit))
    return rowToOwner(results[0]!)
  }

  async addUsage(increments: UsageIncrement[], batchId?: string): Promise<void> {
    await this.#run('addUsage', () => this.#analytics.addUsage(increments, batchId))
  }

  async readUsage(query: UsageQuery): Promise<UsageRow[]> {
    return this.#run('readUsage', () => this.#analytics.readUsage(query))
  }

  async pruneUsage(cutoffs: UsageCutoffs): Promise<void> {
    await this.#run('pruneUsage', () => this.#analytics.pruneUsage(cutoffs))
  }

  async appendAudit(entries: AuditRecord[]): Promise<void> {
    await this.#run('appendAudit', () => this.#analytics.appendAudit(entries))
  }

  async listAudit(query: AuditQuery): Promise<AuditPage> {
    return this.#run('listAudit', () => this.#analytics.listAudit(query))
  }

  async pruneAudit(before: number): Promise<void> {
    await this.#run('pruneAudit', () => this.#analytics.pruneAudit(before))
  }

  async recordNotifications(entries: LedgerEntry[]): Promise<string[]> {
    return this.#run('recordNotifications', () => this.#analytics.recordNotifications(entries))
  }

  async claimNotifications(holder: string, now: number, leaseMs: number, limit: number): Promise<PendingNotification[]> {
    return this.#run('claimNotifications', () => this.#analytics.claimNotifications(holder, now, leaseMs, limit))
  }

  async settleNotification(id: string, outcome: DeliveryOutcome): Promise<void> {
    await this.#run('settleNotification', () => this.#analytics.settleNotification(id, outcome))
  }

  async pruneNotifications(before: number): Promise<void> {
    await this.#run('pruneNotifications', () => this.#analytics.pruneNotifications(before))
  }

  async acquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    return this.#run('acquireLease', () => this.#analytics.acquireLease(name, holder, ttlMs, now))
  }

  /** Nothing to release (the binding belongs to the Worker); later calls reject with `ClosedError`. */
  async close(): Promise<void> {
    this.#closed = true
  }
}
