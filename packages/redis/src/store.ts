import { createHash } from 'node:crypto'
import { Redis, type RedisOptions } from 'ioredis'
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
  urlPasswords,
  type ApiKeyPatch,
  type ApiKeyRecord,
  type CounterState,
  type CreditSpend,
  type KeyChange,
  type KeyStore,
  type LastUsedEntry,
  type SchemaErrorCode,
  type StoreListPage,
  type StoreListQuery,
  type AuditPage,
  type AuditQuery,
  type AuditRecord,
  type DeliveryOutcome,
  type LedgerEntry,
  type PendingNotification,
  type UsageCutoffs,
  type UsageIncrement,
  type UsageQuery,
  type UsageRow,
  type WriteOptions,
} from '@keyward/core/store'
import { auditIdTaken, RedisAnalytics } from './analytics.js'
import * as analyticsLua from './analytics-scripts.js'
import { auditArgs } from './audit-codec.js'
import { hashToRecord, member, pairsToHash, patchToChanges, recordToPairs, type KeyHash } from './codec.js'
import * as lua from './scripts.js'

/** Named in schema errors: which package to upgrade. */
const SCHEMA_ERROR_STORE = { packageName: '@keyward/redis' }

/** Options of {@link RedisKeyStore}. */
export interface RedisKeyStoreOptions {
  /**
   * A `redis://` URL, ioredis options, or your own ioredis client (not closed by `close()`). A client
   * the store creates has no offline queue and a command timeout, so commands fail fast while Redis
   * is down; give your own client `enableOfflineQueue: false` for the same (the store applies its
   * timeouts to every call).
   * @example 'redis://127.0.0.1:6379'
   */
  connection: string | RedisOptions | Redis
  /**
   * Prefix of every key and of the change channel: keeps deployments apart on one server, as the
   * schema does in PostgreSQL. Use a hash tag (`{keyward}:`) on Redis Cluster.
   * @default 'keyward:'
   */
  namespace?: string
  /**
   * Bring the data up to this package's version on first use (stamp a new namespace, index the
   * records of an older one). With `false`, data of no or an older version is a `KeyStoreSchemaError`.
   * @default true
   */
  migrate?: boolean
  /**
   * A command on the request path (finding a key, rate-limit and throttle counters, credits,
   * last-used times) with no reply after this long rejects, and the request fails closed
   * (`store_unavailable`).
   * @default 2000
   */
  requestTimeoutMs?: number
  /**
   * A management command (create, list, update, revoke, rotate, delete, the version check) with no
   * reply after this long rejects.
   * @default 2000
   */
  managementTimeoutMs?: number
  /**
   * Connecting gives up after this long, and so does a call waiting for a connection being
   * (re)established.
   * @default 2000
   */
  connectTimeoutMs?: number
  /** @deprecated Renamed {@link RedisKeyStoreOptions.connection}; accepted, with a warning, until the next release. */
  redis?: string | RedisOptions | Redis
  /** @deprecated Renamed {@link RedisKeyStoreOptions.namespace} (Keyward's own `prefix` is the key prefix); accepted, with a warning, until the next release. */
  prefix?: string
  /** @deprecated Now {@link RedisKeyStoreOptions.requestTimeoutMs}, `managementTimeoutMs` and `connectTimeoutMs`; accepted, with a warning, until the next release. */
  timeoutMs?: number
}

/** The options of the previous release: `redis` for `connection` (accepted, with a warning, until the next). */
export type DeprecatedRedisKeyStoreOptions = Omit<RedisKeyStoreOptions, 'connection'> & {
  /** @deprecated Renamed {@link RedisKeyStoreOptions.connection}. */
  redis: string | RedisOptions | Redis
}

/** Old option names and the new ones they now set. */
const RENAMED = {
  redis: ['connection'],
  prefix: ['namespace'],
  timeoutMs: ['requestTimeoutMs', 'managementTimeoutMs', 'connectTimeoutMs'],
} as const

/** 2: per-deployment-prefix list indexes (records of version 1 are indexed when a store first opens it). */
export const SCHEMA_VERSION = 2
/** Records indexed per script call while upgrading from version 1 (bounds how long Redis is busy). */
const UPGRADE_BATCH = 500
const COUNTER_GRACE_MS = 1_000
/** How far past the longer deadline the client's own command timeout lies. */
const BACKSTOP_MS = 30_000

type ScriptName = keyof typeof lua | keyof typeof analyticsLua
/** The Lua sources by name (a plain object: looked up by name on every call). */
const SCRIPTS: Record<ScriptName, string> = { ...lua, ...analyticsLua }
const SHAS = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, source]) => [name, createHash('sha1').update(source).digest('hex')]),
) as Record<ScriptName, string>

/**
 * A `KeyStore` on Redis through ioredis: one hash per key, sorted-set indexes for listing (all,
 * non-revoked, per owner), Lua scripts for atomic changes, pub/sub for `subscribe`. Commands time
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
  readonly #ownsClient: boolean
  readonly #prefix: string
  readonly #channel: string
  readonly #migrateOnUse: boolean
  readonly #requestTimeoutMs: number
  readonly #managementTimeoutMs: number
  readonly #connectTimeoutMs: number
  /** The connection's password, kept out of every error. */
  readonly #secrets: string[]
  readonly #listeners = new ChangeListeners()
  readonly #analytics: RedisAnalytics
  #subscriber: Redis | undefined
  #ready: Promise<void> | undefined
  /** The client's last connection error, cleared when it is ready: why a call found no connection. */
  #lastError: Error | undefined
  /** One wait for the connection, shared by every call that arrives meanwhile. */
  #connecting: Promise<void> | undefined
  #isReady = false
  #closed = false

  constructor(options: string | RedisKeyStoreOptions | DeprecatedRedisKeyStoreOptions) {
    const needs = 'RedisKeyStore needs { connection }: a URL, ioredis options or an ioredis client'
    if (!options) throw new TypeError(needs)
    const opts =
      typeof options === 'string' ? { connection: options } : renameOptions('@keyward/redis', options as RedisKeyStoreOptions, RENAMED)
    if (opts.connection === undefined || opts.connection === null) throw new TypeError(needs)
    this.#prefix = opts.namespace ?? 'keyward:'
    if (typeof this.#prefix !== 'string') throw new TypeError('namespace must be a string')
    this.namespace = this.#prefix
    this.#channel = `${this.#prefix}changes`
    this.#migrateOnUse = opts.migrate ?? true
    this.#requestTimeoutMs = positive('requestTimeoutMs', opts.requestTimeoutMs, 2_000)
    this.#managementTimeoutMs = positive('managementTimeoutMs', opts.managementTimeoutMs, 2_000)
    this.#connectTimeoutMs = positive('connectTimeoutMs', opts.connectTimeoutMs, 2_000)
    const failFast: RedisOptions = {
      enableOfflineQueue: false,
      // A backstop that frees commands no call waits for any more (the subscriber connection inherits
      // it); each call has its path's deadline. Well above the deadlines: ioredis's timer cannot tell a
      // silent server from a reply that arrived while the event loop was busy, and a write it failed
      // after Redis applied it (usage counts) would be retried and counted twice.
      commandTimeout: Math.max(this.#requestTimeoutMs, this.#managementTimeoutMs) + BACKSTOP_MS,
      connectTimeout: this.#connectTimeoutMs,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
    }
    if (opts.connection instanceof Redis) {
      this.redis = opts.connection
      this.#ownsClient = false
    } else {
      this.redis =
        typeof opts.connection === 'string' ? new Redis(opts.connection, failFast) : new Redis({ ...opts.connection, ...failFast })
      this.#ownsClient = true
    }
    const password = this.redis.options.password
    this.#secrets = [...(typeof opts.connection === 'string' ? urlPasswords(opts.connection) : []), ...(password ? [password] : [])]
    this.redis.on('error', (error: Error) => {
      this.#lastError = error
    })
    this.redis.on('ready', () => {
      this.#lastError = undefined
    })
    this.#analytics = new RedisAnalytics(this.redis, this.#prefix, {
      run: (operation, command) => this.#run(operation, 'management', command),
      script: (operation, name, keys, args) => this.#script(operation, 'management', name, keys, args),
    })
    // After a reconnect, check the schema marker again (the server may have restarted empty).
    this.redis.on('close', () => {
      this.#isReady = false
    })
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

  /** Wait (bounded) for a connection being made; fail at once when Redis is known to be down. */
  async #connected(): Promise<void> {
    const status = this.redis.status
    if (status === 'ready') return
    this.#checkOpen()
    if (status === 'end' || status === 'close') throw this.#unreachable('The Redis connection is closed')
    if (status === 'wait') this.redis.connect().catch(() => undefined)
    if (status === 'reconnecting') throw this.#unreachable('Redis is unreachable (reconnecting)')
    this.#connecting ??= new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer)
        this.redis.off('ready', onReady)
        this.redis.off('close', onClose)
        this.#connecting = undefined
        if (error) reject(error)
        else resolve()
      }
      const onReady = () => done()
      const onClose = () => done(this.#unreachable('Redis is unreachable'))
      const timer = setTimeout(() => done(new Error(`Redis did not connect within ${this.#connectTimeoutMs} ms`)), this.#connectTimeoutMs)
      this.redis.once('ready', onReady)
      this.redis.once('close', onClose)
    })
    return this.#connecting
  }

  /** Why there is no connection: `what`, with the client's last error (`ECONNREFUSED`, …) as code and cause. */
  #unreachable(what: string): Error {
    const last = this.#lastError
    if (last === undefined) return new Error(what)
    const code = (last as { code?: unknown }).code
    const error = new Error(`${what}: ${last.message || String(code)}`, { cause: last })
    return typeof code === 'string' ? Object.assign(error, { code }) : error
  }

  #checkOpen(): void {
    if (this.#closed) throw new ClosedError('This RedisKeyStore')
  }

  #schemaError(code: SchemaErrorCode, version: number): KeyStoreSchemaError {
    return new KeyStoreSchemaError(code, version, SCHEMA_VERSION, `namespace "${this.#prefix}"`, SCHEMA_ERROR_STORE)
  }

  /** The version marker of the data (0 when none). */
  async schemaVersion(): Promise<number> {
    this.#checkOpen()
    try {
      await this.#connected()
      return await this.#version()
    } catch (error) {
      throw storeFailure('schemaVersion', error, this.#secrets)
    }
  }

  /** Bring the data up to this package's version now (the store otherwise does it on first use unless `migrate: false`). */
  async migrate(): Promise<void> {
    this.#checkOpen()
    try {
      await this.#connected()
      await this.#migrate()
    } catch (error) {
      throw storeFailure('migrate', error, this.#secrets)
    }
  }

  async #version(): Promise<number> {
    const version = Number(await this.redis.get(`${this.#prefix}schema`))
    return Number.isInteger(version) && version >= 1 ? version : 0
  }

  async #migrate(): Promise<void> {
    const key = `${this.#prefix}schema`
    await this.redis.set(key, String(SCHEMA_VERSION), 'NX')
    const version = Number(await this.redis.get(key))
    if (!(version >= 1)) throw this.#schemaError('schema_missing', 0)
    if (version > SCHEMA_VERSION) throw this.#schemaError('schema_too_new', version)
    if (version === 1) {
      // Index the records of version 1 by deployment prefix, in batches. Idempotent, so several
      // instances upgrading at once are safe; records written meanwhile index themselves.
      for (let after = '+'; after !== ''; ) after = await this.#eval<string>('INDEX_BY_PREFIX', [], [this.#prefix, after, UPGRADE_BATCH])
      await this.#eval('SET_SCHEMA', [key], ['1', String(SCHEMA_VERSION)])
    }
  }

  /** Check the schema marker once per connection life (migrating unless `migrate: false`); retried after a failure. */
  async #ensureReady(): Promise<void> {
    await this.#connected()
    if (this.#isReady) return
    this.#ready ??= (async () => {
      const version = await this.#version()
      if (version > SCHEMA_VERSION) throw this.#schemaError('schema_too_new', version)
      if (version < SCHEMA_VERSION) {
        if (!this.#migrateOnUse) throw this.#schemaError(version === 0 ? 'schema_missing' : 'schema_outdated', version)
        await this.#migrate()
      }
      this.#isReady = true
    })().catch((error: unknown) => {
      this.#ready = undefined
      throw error
    })
    return this.#ready
  }

  /**
   * Run a command after the schema check, with the deadline of its path; a failure rejects with
   * `StoreUnavailableError` naming `operation` (the driver's error as cause), after `close()` with
   * `ClosedError`.
   */
  async #run<T>(operation: string, path: 'request' | 'management', command: () => Promise<T>): Promise<T> {
    this.#checkOpen()
    const timeoutMs = path === 'request' ? this.#requestTimeoutMs : this.#managementTimeoutMs
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      if (!this.#isReady || this.redis.status !== 'ready') await this.#ensureReady()
      return await Promise.race([
        command(),
        new Promise<never>((_, reject) => {
          // Rejected after the poll phase (setImmediate): when the event loop was busy past the deadline,
          // a reply that arrived meanwhile is read first and wins, instead of failing a command Redis ran.
          timer = setTimeout(() => setImmediate(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`))), timeoutMs)
        }),
      ])
    } catch (error) {
      throw storeFailure(operation, error, this.#secrets)
    } finally {
      clearTimeout(timer)
    }
  }

  /** A script through {@link #run}. */
  async #script<T>(
    operation: string,
    path: 'request' | 'management',
    name: ScriptName,
    keys: string[],
    args: (string | number)[],
  ): Promise<T> {
    return this.#run(operation, path, () => this.#eval<T>(name, keys, args))
  }

  /** EVALSHA, loading the script on the first NOSCRIPT. */
  async #eval<T>(name: ScriptName, keys: string[], args: (string | number)[]): Promise<T> {
    try {
      return (await this.redis.evalsha(SHAS[name], keys.length, ...keys, ...args)) as T
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error
      return (await this.redis.eval(SCRIPTS[name], keys.length, ...keys, ...args)) as T
    }
  }

  async insert(record: ApiKeyRecord, options?: WriteOptions): Promise<void> {
    const audit = auditArgs(this.#prefix, options?.audit)
    const inserted = await this.#script<number>(
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
        ...recordToPairs(record),
      ],
    )
    if (inserted === 0) throw new DuplicateKeyIdError(record.id)
    if (inserted === -1) throw auditIdTaken(options!.audit!.id)
  }

  async findById(id: string): Promise<ApiKeyRecord | null> {
    const hash = (await this.#run('findById', 'request', () => this.redis.hgetall(this.#key(id)))) as KeyHash
    return hashToRecord(hash)
  }

  async update(id: string, patch: ApiKeyPatch, options?: { expectedRevision?: number } & WriteOptions): Promise<ApiKeyRecord | null> {
    const { set, del } = patchToChanges(patch)
    const audit = auditArgs(this.#prefix, options?.audit)
    const pairs = await this.#script<string[] | number | null>(
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
    const deleted = await this.#script<number>('delete', 'management', 'DELETE', keys, [this.#prefix, this.#channel, id, ...audit.args])
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
    const rows = await this.#script<string[][]>('list', 'management', 'LIST', [], [this.#prefix, index, max, query.limit + 1])
    return pageOf(
      rows.map((pairs) => hashToRecord(pairsToHash(pairs))!),
      query.limit,
    )
  }

  async touch(entries: LastUsedEntry[]): Promise<void> {
    if (entries.length === 0) return
    const args: string[] = [this.#prefix]
    for (const { id, lastUsedAt, from } of entries) args.push(id, String(lastUsedAt.getTime()), from === undefined ? '' : `a${from}`)
    await this.#script('touch', 'request', 'TOUCH', [], args)
  }

  async incrementCounter(name: string, amount: number, windowMs: number, now: number): Promise<CounterState> {
    const { start, resetAt } = counterWindow(now, windowMs)
    const count = await this.#script<number>(
      'incrementCounter',
      'request',
      'INCREMENT',
      [`${this.#prefix}ctr:${name}@${windowMs}:${start}`],
      [amount, resetAt - now + COUNTER_GRACE_MS],
    )
    return { count: Number(count), resetAt }
  }

  async spendCredits(id: string, cost: number, now: number): Promise<CreditSpend | null> {
    const result = await this.#script<[number, number, number] | null>('spendCredits', 'request', 'SPEND', [this.#key(id)], [cost, now])
    if (result === null) return null
    return { ok: result[0] === 1, remaining: Number(result[1]), nextRefillAt: result[2] === -1 ? null : Number(result[2]) }
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
    this.#checkOpen()
    this.#listeners.add(listener)
    if (this.#subscriber === undefined) await this.#startSubscriber()
    return async () => {
      this.#listeners.delete(listener)
      if (this.#listeners.size === 0 && this.#subscriber !== undefined) {
        const subscriber = this.#subscriber
        this.#subscriber = undefined
        subscriber.disconnect()
      }
    }
  }

  /** A second connection in subscriber mode; ioredis re-subscribes after each reconnect. */
  async #startSubscriber(): Promise<void> {
    const subscriber = this.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, lazyConnect: true })
    this.#subscriber = subscriber
    subscriber.on('error', () => undefined)
    subscriber.on('message', (channel: string, id: string) => {
      if (channel === this.#channel) this.#listeners.emit(id)
    })
    // While the subscriber is disconnected, messages are lost: nothing cached can be trusted. Tell
    // subscribers to drop everything when the connection goes (reads then go to Redis, and fail
    // closed while it is down) and again once it is back.
    let readyBefore = false
    let up = false
    subscriber.on('ready', () => {
      if (readyBefore) this.#listeners.emit('*')
      readyBefore = up = true
    })
    subscriber.on('close', () => {
      if (up && this.#subscriber === subscriber) this.#listeners.emit('*')
      up = false
    })
    try {
      await subscriber.connect()
      await subscriber.subscribe(this.#channel)
    } catch {
      // Redis is down: ioredis keeps reconnecting and subscribes once it is back.
      readyBefore = true
      subscriber.subscribe(this.#channel).catch(() => undefined)
    }
  }

  /** Whether the subscriber connection is up. */
  get listening(): boolean {
    return this.#subscriber?.status === 'ready'
  }

  /** Stop listening and, when the store made the client, disconnect it. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#listeners.clear()
    this.#subscriber?.disconnect()
    this.#subscriber = undefined
    if (this.#ownsClient) await this.redis.quit().catch(() => this.redis.disconnect())
  }
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${String(value)}`)
  return value
}
