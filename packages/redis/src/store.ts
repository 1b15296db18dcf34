import {
  counterWindow,
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
import { RedisAnalytics } from './analytics.js'
import { ChangeFeed } from './changes.js'
import { chargeAll, COUNTER_GRACE_MS } from './charge.js'
import type { RedisClient } from './client.js'
import { hashToRecord, type KeyHash } from './codec.js'
import { RedisConnection } from './connection.js'
import { insertMany } from './insert-many.js'
import { listRecords } from './list.js'
import { resolveOptions, type DeprecatedRedisKeyStoreOptions, type RedisKeyStoreOptions } from './options.js'
import { readOwner, writeOwner } from './owners.js'
import { RedisUsage } from './usage.js'
import { deleteRecord, insertRecord, updateRecord } from './writes.js'

export type { RedisClusterConnection } from './client.js'
export type { ChangeChannel, DeprecatedRedisKeyStoreOptions, RedisKeyStoreOptions } from './options.js'
export { SCHEMA_VERSION } from './schema.js'

/**
 * A `KeyStore` on Redis or Redis Cluster through ioredis: one hash per key and per owner, sorted-set
 * indexes for listing (all, non-revoked, per owner), Lua scripts for atomic steps, pub/sub for
 * `subscribe`. Keys are sharded by hash tags (a key's record, counters and usage share its slot; an
 * owner's hash, counters and indexes share the owner's; see `layout.ts`), so the same layout spreads
 * over a cluster's shards. Commands time out instead of queueing while Redis is down, and the client
 * reconnects by itself.
 *
 * @example
 * import { createKeyward } from '@keyward/core'
 * import { RedisKeyStore } from '@keyward/redis'
 *
 * const keyward = createKeyward({ prefix: 'acme_live', store: new RedisKeyStore({ connection: process.env.REDIS_URL! }) })
 * // On Redis Cluster:
 * new RedisKeyStore({ connection: { cluster: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7000 }] } })
 */
export class RedisKeyStore implements KeyStore {
  /** The client commands run on: a single server's, or a cluster's. */
  readonly redis: RedisClient
  /** The prefix of every key of this store. */
  readonly namespace: string
  readonly #conn: RedisConnection
  readonly #analytics: RedisAnalytics
  readonly #usage: RedisUsage
  readonly #changes: ChangeFeed

  constructor(options: string | RedisKeyStoreOptions | DeprecatedRedisKeyStoreOptions) {
    const opts = resolveOptions(options)
    this.namespace = opts.namespace
    this.#conn = new RedisConnection(opts)
    this.redis = this.#conn.redis
    this.#usage = new RedisUsage(this.#conn)
    this.#analytics = new RedisAnalytics(this.redis, this.#conn.layout.control(''), {
      run: (operation, command) => this.#conn.run(operation, 'management', command),
      script: (operation, name, keys, args) => this.#conn.script(operation, 'management', name, keys, args),
    })
    this.#changes = new ChangeFeed(this.redis, this.#conn.layout.channel, () => this.#conn.changeMode('subscribe'))
  }

  /**
   * The prefix of every key of this store.
   * @deprecated Renamed {@link RedisKeyStore.namespace}.
   */
  get prefix(): string {
    return this.namespace
  }

  /** The version marker of the data (0 when none). */
  schemaVersion(): Promise<number> {
    return this.#conn.schemaVersion()
  }

  /** Bring the data up to this package's version now (the store otherwise does it on first use unless `migrate: false`). */
  migrate(): Promise<void> {
    return this.#conn.migrate()
  }

  insert(record: ApiKeyRecord, options?: WriteOptions & { cap?: InsertCap }): Promise<void> {
    return insertRecord(this.#conn, record, options)
  }

  /** Insert every record whose id is new, with its audit entries; report the ids that existed. See `insert-many.ts` for the steps. */
  insertMany(records: ApiKeyRecord[], options?: { audit?: AuditRecord[] }): Promise<{ inserted: string[]; duplicates: string[] }> {
    return insertMany(this.#conn, records, options?.audit)
  }

  async findById(id: string): Promise<ApiKeyRecord | null> {
    const hash = (await this.#conn.run('findById', 'request', () => this.redis.hgetall(this.#conn.layout.record(id)))) as KeyHash
    return hashToRecord(hash)
  }

  update(id: string, patch: ApiKeyPatch, options?: { expectedRevision?: number } & WriteOptions): Promise<ApiKeyRecord | null> {
    return updateRecord(this.#conn, id, patch, options)
  }

  delete(id: string, options?: WriteOptions): Promise<boolean> {
    return deleteRecord(this.#conn, id, options)
  }

  list(query: StoreListQuery): Promise<StoreListPage> {
    return listRecords(this.#conn, query)
  }

  /** One step per record (each in its slot), sent together. */
  async touch(entries: LastUsedEntry[]): Promise<void> {
    await Promise.all(
      entries.map(({ id, lastUsedAt, from }) =>
        this.#conn.script(
          'touch',
          'request',
          'TOUCH',
          [this.#conn.layout.record(id)],
          [lastUsedAt.getTime(), from === undefined ? '' : `a${from}`],
        ),
      ),
    )
  }

  async incrementCounter(name: string, amount: number, windowMs: number, now: number): Promise<CounterState> {
    const { start, resetAt } = counterWindow(now, windowMs)
    const count = await this.#conn.script<number>(
      'incrementCounter',
      'request',
      'INCREMENT',
      [this.#conn.layout.counter(name, windowMs, start)],
      [amount, resetAt - now + COUNTER_GRACE_MS],
    )
    return { count: Number(count), resetAt }
  }

  async spendCredits(id: string, cost: number, now: number): Promise<CreditSpend | null> {
    const result = await this.#conn.script<[number, string, string] | null>(
      'spendCredits',
      'request',
      'SPEND',
      [this.#conn.layout.record(id)],
      [cost, now],
    )
    if (result === null) return null
    return { ok: result[0] === 1, remaining: Number(result[1]), nextRefillAt: result[2] === '' ? null : Number(result[2]) }
  }

  charge(charges: Charge[], now: number): Promise<ChargeResult> {
    return chargeAll(this.#conn, charges, now)
  }

  getOwner(id: string): Promise<OwnerRecord | null> {
    return readOwner(this.#conn, id)
  }

  putOwner(owner: OwnerRecord, options?: WriteOptions): Promise<OwnerRecord> {
    return writeOwner(this.#conn, owner, options)
  }

  addUsage(increments: UsageIncrement[], batchId?: string): Promise<void> {
    return this.#usage.addUsage(increments, batchId)
  }

  readUsage(query: UsageQuery): Promise<UsageRow[]> {
    return this.#usage.readUsage(query)
  }

  pruneUsage(cutoffs: UsageCutoffs): Promise<void> {
    return this.#usage.pruneUsage(cutoffs)
  }

  appendAudit(entries: AuditRecord[]): Promise<void> {
    return this.#analytics.appendAudit(entries)
  }

  listAudit(query: AuditQuery): Promise<AuditPage> {
    return this.#analytics.listAudit(query)
  }

  pruneAudit(before: number): Promise<void> {
    return this.#analytics.pruneAudit(before)
  }

  recordNotifications(entries: LedgerEntry[]): Promise<string[]> {
    return this.#analytics.recordNotifications(entries)
  }

  claimNotifications(_holder: string, now: number, leaseMs: number, limit: number): Promise<PendingNotification[]> {
    return this.#analytics.claimNotifications(now, leaseMs, limit)
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
    this.#conn.checkOpen()
    return this.#changes.subscribe(listener)
  }

  /** Whether the subscriber connection is up. */
  get listening(): boolean {
    return this.#changes.listening
  }

  /** Stop listening and, when the store made the client, disconnect it. */
  async close(): Promise<void> {
    if (this.#conn.closed) return
    this.#changes.close()
    await this.#conn.close()
  }
}
