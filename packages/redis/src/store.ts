import { createHash } from 'node:crypto'
import { Redis, type RedisOptions } from 'ioredis'
import {
  counterWindow,
  decodeCursor,
  DuplicateKeyIdError,
  encodeCursor,
  type ApiKeyPatch,
  type ApiKeyRecord,
  type CounterState,
  type CreditSpend,
  type KeyChange,
  type KeyStore,
  type LastUsedEntry,
  type StoreListPage,
  type StoreListQuery,
} from '@keyward/core'
import { hashToRecord, member, pairsToHash, patchToChanges, recordToPairs, type KeyHash } from './codec.js'
import { KeyStoreSchemaError } from '@keyward/core'
import * as lua from './scripts.js'

/** Named in schema errors: which package to upgrade, and which function prints its SQL. */
const SCHEMA_ERROR_STORE = { packageName: '@keyward/redis' }

/** Options of {@link RedisKeyStore}. */
export interface RedisKeyStoreOptions {
  /**
   * A `redis://` URL, ioredis options, or your own ioredis client (not closed by `close()`). A client
   * the store creates has no offline queue and a command timeout, so commands fail fast while Redis
   * is down; give your own client `enableOfflineQueue: false` and `commandTimeout` for the same.
   * @example 'redis://127.0.0.1:6379'
   */
  redis: string | RedisOptions | Redis
  /**
   * Prefix of every key and of the change channel. Use a hash tag (`{keyward}:`) on Redis Cluster.
   * @default 'keyward:'
   */
  prefix?: string
  /**
   * A command with no reply after this long rejects (the key then fails with `store_unavailable`).
   * Also how long a call waits for a connection that is being (re)established.
   * @default 2000
   */
  timeoutMs?: number
}

/** 2: per-deployment-prefix list indexes (records of version 1 are indexed when a store first opens it). */
const SCHEMA_VERSION = 2
/** Records indexed per script call while upgrading from version 1 (bounds how long Redis is busy). */
const UPGRADE_BATCH = 500
const COUNTER_GRACE_MS = 1_000

type ScriptName = keyof typeof lua
const SHAS = Object.fromEntries(
  Object.entries(lua).map(([name, source]) => [name, createHash('sha1').update(source).digest('hex')]),
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
 * const keyward = createKeyward({ prefix: 'acme_live', store: new RedisKeyStore({ redis: process.env.REDIS_URL! }) })
 */
export class RedisKeyStore implements KeyStore {
  /** The client commands run on. */
  readonly redis: Redis
  /** The prefix of every key of this store. */
  readonly prefix: string
  readonly #ownsClient: boolean
  readonly #prefix: string
  readonly #channel: string
  readonly #timeoutMs: number
  readonly #ownTimeout: boolean
  readonly #listeners = new Set<(change: KeyChange) => void>()
  #subscriber: Redis | undefined
  #ready: Promise<void> | undefined
  /** One wait for the connection, shared by every call that arrives meanwhile. */
  #connecting: Promise<void> | undefined
  #isReady = false
  #closed = false

  constructor(options: string | RedisKeyStoreOptions) {
    const opts = typeof options === 'string' ? { redis: options } : options
    if (!opts || opts.redis === undefined || opts.redis === null) throw new TypeError('RedisKeyStore needs { redis }: a URL, ioredis options or an ioredis client')
    this.#prefix = opts.prefix ?? 'keyward:'
    if (typeof this.#prefix !== 'string') throw new TypeError('prefix must be a string')
    this.prefix = this.#prefix
    this.#channel = `${this.#prefix}changes`
    this.#timeoutMs = opts.timeoutMs ?? 2_000
    if (!Number.isInteger(this.#timeoutMs) || this.#timeoutMs < 1) throw new RangeError(`timeoutMs must be a positive integer, got ${String(opts.timeoutMs)}`)
    const failFast: RedisOptions = {
      enableOfflineQueue: false,
      commandTimeout: this.#timeoutMs,
      connectTimeout: this.#timeoutMs,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
    }
    if (opts.redis instanceof Redis) {
      this.redis = opts.redis
      this.#ownsClient = false
    } else {
      this.redis = typeof opts.redis === 'string' ? new Redis(opts.redis, failFast) : new Redis({ ...opts.redis, ...failFast })
      this.#ownsClient = true
    }
    this.#ownTimeout = !this.redis.options.commandTimeout
    this.redis.on('error', () => undefined)
    // After a reconnect, check the schema marker again (the server may have restarted empty).
    this.redis.on('close', () => {
      this.#isReady = false
    })
  }

  #key(id: string): string {
    return `${this.#prefix}key:${id}`
  }

  /** Wait (bounded) for a connection being made; fail at once when Redis is known to be down. */
  async #connected(): Promise<void> {
    const status = this.redis.status
    if (status === 'ready') return
    if (this.#closed || status === 'end' || status === 'close') throw new Error('The Redis connection is closed')
    if (status === 'wait') this.redis.connect().catch(() => undefined)
    if (status === 'reconnecting') throw new Error('Redis is unreachable (reconnecting)')
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
      const onClose = () => done(new Error('Redis is unreachable'))
      const timer = setTimeout(() => done(new Error(`Redis did not connect within ${this.#timeoutMs} ms`)), this.#timeoutMs)
      this.redis.once('ready', onReady)
      this.redis.once('close', onClose)
    })
    return this.#connecting
  }

  /** Check the schema marker once per connection life; retried after a failure. */
  async #ensureReady(): Promise<void> {
    await this.#connected()
    if (this.#isReady) return
    this.#ready ??= (async () => {
      const key = `${this.#prefix}schema`
      await this.redis.set(key, String(SCHEMA_VERSION), 'NX')
      const version = Number(await this.redis.get(key))
      if (!(version >= 1)) throw new KeyStoreSchemaError('schema_missing', 0, SCHEMA_VERSION, `prefix "${this.#prefix}"`, SCHEMA_ERROR_STORE)
      if (version > SCHEMA_VERSION) throw new KeyStoreSchemaError('schema_too_new', version, SCHEMA_VERSION, `prefix "${this.#prefix}"`, SCHEMA_ERROR_STORE)
      if (version === 1) {
        // Index the records of version 1 by deployment prefix, in batches. Idempotent, so several
        // instances upgrading at once are safe; records written meanwhile index themselves.
        for (let after = '+'; after !== ''; )
          after = await this.#eval<string>('INDEX_BY_PREFIX', [], [this.#prefix, after, UPGRADE_BATCH])
        await this.#eval('SET_SCHEMA', [key], ['1', String(SCHEMA_VERSION)])
      }
      this.#isReady = true
    })().catch((error: unknown) => {
      this.#ready = undefined
      throw error
    })
    return this.#ready
  }

  /** Run a command with the store's deadline (ioredis's own `commandTimeout` when the client has one). */
  async #run<T>(command: () => Promise<T>): Promise<T> {
    if (!this.#isReady || this.redis.status !== 'ready') await this.#ensureReady()
    if (!this.#ownTimeout) return command()
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      return await Promise.race([
        command(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Redis did not answer within ${this.#timeoutMs} ms`)), this.#timeoutMs)
        }),
      ])
    } finally {
      clearTimeout(timer)
    }
  }

  /** A script through {@link #run}: after the schema check, with the store's deadline. */
  async #script<T>(name: ScriptName, keys: string[], args: (string | number)[]): Promise<T> {
    return this.#run(() => this.#eval<T>(name, keys, args))
  }

  /** EVALSHA, loading the script on the first NOSCRIPT. */
  async #eval<T>(name: ScriptName, keys: string[], args: (string | number)[]): Promise<T> {
    try {
      return (await this.redis.evalsha(SHAS[name], keys.length, ...keys, ...args)) as T
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error
      return (await this.redis.eval(lua[name], keys.length, ...keys, ...args)) as T
    }
  }

  async insert(record: ApiKeyRecord): Promise<void> {
    const inserted = await this.#script<number>('INSERT', [this.#key(record.id)], [
      this.#prefix,
      this.#channel,
      record.id,
      member(record.createdAt.getTime(), record.id),
      record.ownerId === null ? '' : `o${record.ownerId}`,
      record.revokedAt === null ? '0' : '1',
      record.prefix,
      ...recordToPairs(record),
    ])
    if (inserted === 0) throw new DuplicateKeyIdError(record.id)
  }

  async findById(id: string): Promise<ApiKeyRecord | null> {
    const hash = (await this.#run(() => this.redis.hgetall(this.#key(id)))) as KeyHash
    const record = hashToRecord(hash)
    return record
  }

  async update(id: string, patch: ApiKeyPatch, options?: { expectedRevision?: number }): Promise<ApiKeyRecord | null> {
    const { set, del } = patchToChanges(patch)
    const pairs = await this.#script<string[] | null>('UPDATE', [this.#key(id)], [
      this.#prefix,
      this.#channel,
      id,
      options?.expectedRevision === undefined ? '' : String(options.expectedRevision),
      set.length / 2,
      del.length,
      ...set,
      ...del,
    ])
    return pairs === null ? null : hashToRecord(pairsToHash(pairs))
  }

  async delete(id: string): Promise<boolean> {
    return (await this.#script<number>('DELETE', [this.#key(id)], [this.#prefix, this.#channel, id])) === 1
  }

  async list(query: StoreListQuery): Promise<StoreListPage> {
    const after = query.cursor === undefined ? null : decodeCursor(query.cursor)
    const scope = query.prefix === undefined ? 'idx:' : `idx:p:${query.prefix}:`
    const index =
      query.ownerId === undefined
        ? `${scope}${query.includeRevoked ? 'all' : 'live'}`
        : `${scope}${query.includeRevoked ? 'owner:' : 'owner-live:'}${query.ownerId}`
    const max = after === null ? '+' : `(${member(after.createdAt, after.id)}`
    const rows = await this.#script<string[][]>('LIST', [], [this.#prefix, index, max, query.limit + 1])
    const items = rows.slice(0, query.limit).map((pairs) => hashToRecord(pairsToHash(pairs))!)
    const last = items[items.length - 1]
    return rows.length > query.limit && last
      ? { items, nextCursor: encodeCursor({ createdAt: last.createdAt.getTime(), id: last.id }) }
      : { items }
  }

  async touch(entries: LastUsedEntry[]): Promise<void> {
    if (entries.length === 0) return
    const args: string[] = [this.#prefix]
    for (const { id, lastUsedAt } of entries) args.push(id, String(lastUsedAt.getTime()))
    await this.#script('TOUCH', [], args)
  }

  async incrementCounter(name: string, amount: number, windowMs: number, now: number): Promise<CounterState> {
    const { start, resetAt } = counterWindow(now, windowMs)
    const count = await this.#script<number>('INCREMENT', [`${this.#prefix}ctr:${name}@${windowMs}:${start}`], [amount, resetAt - now + COUNTER_GRACE_MS])
    return { count: Number(count), resetAt }
  }

  async spendCredits(id: string, cost: number, now: number): Promise<CreditSpend | null> {
    const result = await this.#script<[number, number, number] | null>('SPEND', [this.#key(id)], [cost, now])
    if (result === null) return null
    return { ok: result[0] === 1, remaining: Number(result[1]), nextRefillAt: result[2] === -1 ? null : Number(result[2]) }
  }

  async subscribe(listener: (change: KeyChange) => void): Promise<() => Promise<void>> {
    if (this.#closed) throw new Error('RedisKeyStore is closed')
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
      if (channel === this.#channel) this.#emit(id)
    })
    // While the subscriber is disconnected, messages are lost: nothing cached can be trusted. Tell
    // subscribers to drop everything when the connection goes (reads then go to Redis, and fail
    // closed while it is down) and again once it is back.
    let readyBefore = false
    let up = false
    subscriber.on('ready', () => {
      if (readyBefore) this.#emit('*')
      readyBefore = up = true
    })
    subscriber.on('close', () => {
      if (up && this.#subscriber === subscriber) this.#emit('*')
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

  #emit(id: string): void {
    for (const listener of this.#listeners) {
      try {
        listener({ id })
      } catch {
        // A failing listener must not break the store or other listeners.
      }
    }
  }
}
