import {
  counterWindow,
  decodeCursor,
  DuplicateKeyIdError,
  LimitExceededError,
  pageOf,
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
import type { Redis } from 'ioredis'
import { auditIdTaken, RedisAnalytics } from './analytics.js'
import { auditArgs } from './audit-codec.js'
import { ChangeFeed } from './changes.js'
import { chargeAll, COUNTER_GRACE_MS, counterKey } from './charge.js'
import { hashToRecord, member, pairsToHash, patchToChanges, recordToPairs, type KeyHash } from './codec.js'
import { RedisConnection } from './connection.js'
import { insertMany } from './insert-many.js'
import { resolveOptions, type DeprecatedRedisKeyStoreOptions, type RedisKeyStoreOptions } from './options.js'
import { readOwner, writeOwner } from './owners.js'

export type { DeprecatedRedisKeyStoreOptions, RedisKeyStoreOptions } from './options.js'
export { SCHEMA_VERSION } from './schema.js'

/**
 * A `KeyStore` on Redis through ioredis: one hash per key and per owner, sorted-set indexes for
 * listing (all, non-revoked, per owner), Lua scripts for atomic changes, pub/sub for `subscribe`. Commands time
 * out instead of queueing while Redis is down, and the client reconnects by itself.
 *
 * @example
 * import { createKeyward } from '@keyward/core'
 * import { RedisKeyStore } from '@keyward/redis'
 *
 * const keyward = createKeyward({ prefix: 'acme_live', store: new RedisKeyStore({ connection: process.env.REDIS_URL! }) })
 */
export class RedisKeyStore implements KeyStore {
  /** The client commands run on. */
  readonly redis: Redis
  /** The prefix of every key of this store. */
  readonly namespace: string
  readonly #prefix: string
  readonly #channel: string
  readonly #conn: RedisConnection
  readonly #analytics: RedisAnalytics
  readonly #changes: ChangeFeed

  constructor(options: string | RedisKeyStoreOptions | DeprecatedRedisKeyStoreOptions) {
    const opts = resolveOptions(options)
    this.#prefix = opts.namespace
    this.namespace = this.#prefix
    this.#channel = `${this.#prefix}changes`
    this.#conn = new RedisConnection(opts)
    this.redis = this.#conn.redis
    this.#analytics = new RedisAnalytics(this.redis, this.#prefix, {
      run: (operation, command) => this.#conn.run(operation, 'management', command),
      script: (operation, name, keys, args) => this.#conn.script(operation, 'management', name, keys, args),
    })
    this.#changes = new ChangeFeed(this.redis, this.#channel)
  }

  /**
   * The prefix of every key of this store.
   * @deprecated Renamed {@link RedisKeyStore.namespace}.
   */
  get prefix(): string {
    return this.namespace
  }

  #key(id: string): string {
    return `${this.#prefix}key:${id}`
  }

  /** The version marker of the data (0 when none). */
  schemaVersion(): Promise<number> {
    return this.#conn.schemaVersion()
  }

  /** Bring the data up to this package's version now (the store otherwise does it on first use unless `migrate: false`). */
  migrate(): Promise<void> {
    return this.#conn.migrate()
  }

  async insert(record: ApiKeyRecord, options?: WriteOptions & { cap?: InsertCap }): Promise<void> {
    const cap = options?.cap
    const audit = auditArgs(this.#prefix, options?.audit)
    const inserted = await this.#conn.script<number>(
      'insert',
      'management',
      'INSERT',
      [this.#key(record.id), ...audit.keys],
      [
        this.#prefix,
        this.#channel,
        record.id,
        member(record.createdAt.getTime(), record.id),
        record.ownerId === null ? '' : `o${record.ownerId}`,
        record.revokedAt === null ? '0' : '1',
        record.prefix,
        ...audit.args,
        cap === undefined ? '' : cap.maxKeys,
        cap === undefined ? '' : cap.now,
        ...recordToPairs(record),
      ],
    )
    if (inserted === 0) throw new DuplicateKeyIdError(record.id)
    if (inserted === -2) throw new LimitExceededError(record.ownerId!, cap!.maxKeys)
    if (inserted === -1) throw auditIdTaken(options!.audit!.id)
  }

  /** Insert every record whose id is new, with its audit entries, in one atomic step; report the ids that existed. */
  insertMany(records: ApiKeyRecord[], options?: { audit?: AuditRecord[] }): Promise<{ inserted: string[]; duplicates: string[] }> {
    return insertMany(this.#conn, this.#prefix, this.#channel, records, options?.audit)
  }

  async findById(id: string): Promise<ApiKeyRecord | null> {
    const hash = (await this.#conn.run('findById', 'request', () => this.redis.hgetall(this.#key(id)))) as KeyHash
    return hashToRecord(hash)
  }

  async update(id: string, patch: ApiKeyPatch, options?: { expectedRevision?: number } & WriteOptions): Promise<ApiKeyRecord | null> {
    const { set, del } = patchToChanges(patch)
    const audit = auditArgs(this.#prefix, options?.audit)
    const pairs = await this.#conn.script<string[] | number | null>(
      'update',
      'management',
      'UPDATE',
      [this.#key(id), ...audit.keys],
      [
        this.#prefix,
        this.#channel,
        id,
        options?.expectedRevision === undefined ? '' : String(options.expectedRevision),
        set.length / 2,
        del.length,
        ...audit.args,
        ...set,
        ...del,
      ],
    )
    if (pairs === -1) throw auditIdTaken(options!.audit!.id)
    return pairs === null || typeof pairs === 'number' ? null : hashToRecord(pairsToHash(pairs))
  }

  async delete(id: string, options?: WriteOptions): Promise<boolean> {
    const audit = auditArgs(this.#prefix, options?.audit)
    const keys = [this.#key(id), ...audit.keys]
    const deleted = await this.#conn.script<number>('delete', 'management', 'DELETE', keys, [
      this.#prefix,
      this.#channel,
      id,
      ...audit.args,
    ])
    if (deleted === -1) throw auditIdTaken(options!.audit!.id)
    return deleted === 1
  }

  async list(query: StoreListQuery): Promise<StoreListPage> {
    const after = query.cursor === undefined ? null : decodeCursor(query.cursor)
    const scope = query.prefix === undefined ? 'idx:' : `idx:p:${query.prefix}:`
    const index =
      query.ownerId === undefined
        ? `${scope}${query.includeRevoked ? 'all' : 'live'}`
        : `${scope}${query.includeRevoked ? 'owner:' : 'owner-live:'}${query.ownerId}`
    const max = after === null ? '+' : `(${member(after.createdAt, after.id)}`
    const rows = await this.#conn.script<string[][]>('list', 'management', 'LIST', [], [this.#prefix, index, max, query.limit + 1])
    return pageOf(
      rows.map((pairs) => hashToRecord(pairsToHash(pairs))!),
      query.limit,
    )
  }

  async touch(entries: LastUsedEntry[]): Promise<void> {
    if (entries.length === 0) return
    const args: string[] = [this.#prefix]
    for (const { id, lastUsedAt, from } of entries) args.push(id, String(lastUsedAt.getTime()), from === undefined ? '' : `a${from}`)
    await this.#conn.script('touch', 'request', 'TOUCH', [], args)
  }

  async incrementCounter(name: string, amount: number, windowMs: number, now: number): Promise<CounterState> {
    const { start, resetAt } = counterWindow(now, windowMs)
    const count = await this.#conn.script<number>(
      'incrementCounter',
      'request',
      'INCREMENT',
      [counterKey(this.#prefix, name, windowMs, start)],
      [amount, resetAt - now + COUNTER_GRACE_MS],
    )
    return { count: Number(count), resetAt }
  }

  async spendCredits(id: string, cost: number, now: number): Promise<CreditSpend | null> {
    const result = await this.#conn.script<[number, string, string] | null>(
      'spendCredits',
      'request',
      'SPEND',
      [this.#key(id)],
      [cost, now],
    )
    if (result === null) return null
    return { ok: result[0] === 1, remaining: Number(result[1]), nextRefillAt: result[2] === '' ? null : Number(result[2]) }
  }

  charge(charges: Charge[], now: number): Promise<ChargeResult> {
    return chargeAll(this.#conn, this.#prefix, charges, now)
  }

  getOwner(id: string): Promise<OwnerRecord | null> {
    return readOwner(this.#conn, this.#prefix, id)
  }

  putOwner(owner: OwnerRecord, options?: WriteOptions): Promise<OwnerRecord> {
    return writeOwner(this.#conn, this.#prefix, this.#channel, owner, options)
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
