import { ClosedError, storeFailure } from '@keyward/core/store'
import { detectChangeMode, fixedChangeMode, type ChangeMode } from './change-mode.js'
import { isCluster, openClient, type RedisClient } from './client.js'
import { ControlOps } from './control-ops.js'
import { evalScript, type ScriptName } from './eval-script.js'
import { Layout } from './layout.js'
import type { ResolvedOptions } from './options.js'
import { migrateSchema, readVersion, SCHEMA_VERSION, schemaError } from './schema.js'

/** How far past the longer deadline the client's own command timeout lies. */
const BACKSTOP_MS = 30_000

/** Which deadline a command has: the request path's or the management path's. */
export type CommandPath = 'request' | 'management'

/**
 * The client of a `RedisKeyStore` and how commands run on it: fail fast while Redis is down, wait
 * (bounded) for a connection being made, check the schema once per connection life, and give each
 * command the deadline of its path.
 */
export class RedisConnection {
  /** The client commands run on. */
  readonly redis: RedisClient
  /** Where each key lives. */
  readonly layout: Layout
  readonly #ownsClient: boolean
  readonly #migrateOnUse: boolean
  readonly #requestTimeoutMs: number
  readonly #managementTimeoutMs: number
  readonly #connectTimeoutMs: number
  /** The connection's password, kept out of every error. */
  readonly #secrets: string[]
  /** How changes travel: fixed by the options, or detected once (`auto` on a cluster). */
  #mode: ChangeMode | undefined
  #detecting: Promise<ChangeMode> | undefined
  #ready: Promise<void> | undefined
  /** The client's last connection error, cleared when it is ready: why a call found no connection. */
  #lastError: Error | undefined
  /** One wait for the connection, shared by every call that arrives meanwhile. */
  #connecting: Promise<void> | undefined
  #isReady = false
  #closed = false

  constructor(opts: ResolvedOptions) {
    this.#migrateOnUse = opts.migrate
    this.#requestTimeoutMs = opts.requestTimeoutMs
    this.#managementTimeoutMs = opts.managementTimeoutMs
    this.#connectTimeoutMs = opts.connectTimeoutMs
    const client = openClient(opts.connection, {
      // A backstop that frees commands no call waits for any more (the subscriber connection inherits
      // it); each call has its path's deadline. Well above the deadlines: ioredis's timer cannot tell a
      // silent server from a reply that arrived while the event loop was busy, and a write it failed
      // after Redis applied it (usage counts) would be retried and counted twice.
      commandTimeout: Math.max(this.#requestTimeoutMs, this.#managementTimeoutMs) + BACKSTOP_MS,
      connectTimeout: this.#connectTimeoutMs,
    })
    this.redis = client.redis
    this.#ownsClient = client.owns
    this.#secrets = client.secrets
    this.layout = new Layout(opts.namespace)
    this.#mode = fixedChangeMode(this.redis, opts.changeChannel)
    this.redis.on('error', (error: Error) => {
      this.#lastError = error
    })
    this.redis.on('ready', () => {
      this.#lastError = undefined
    })
    // After a reconnect, check the schema marker again (the server may have restarted empty).
    this.redis.on('close', () => {
      this.#isReady = false
    })
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed
  }

  checkOpen(): void {
    if (this.#closed) throw new ClosedError('This RedisKeyStore')
  }

  /** Wait (bounded) for a connection being made; fail at once when Redis is known to be down. */
  async #connected(): Promise<void> {
    const status = this.redis.status
    if (status === 'ready') return
    this.checkOpen()
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

  /** The version marker of the data (0 when none). */
  async schemaVersion(): Promise<number> {
    this.checkOpen()
    try {
      await this.#connected()
      return await readVersion(this.redis, this.layout)
    } catch (error) {
      throw storeFailure('schemaVersion', error, this.#secrets)
    }
  }

  /** Bring the data up to this package's version now. */
  async migrate(): Promise<void> {
    this.checkOpen()
    try {
      await this.#connected()
      await migrateSchema(this.redis, this.layout)
    } catch (error) {
      throw storeFailure('migrate', error, this.#secrets)
    }
  }

  /** Check the schema marker once per connection life (migrating unless `migrate: false`); retried after a failure. */
  async #ensureReady(): Promise<void> {
    await this.#connected()
    if (this.#isReady) return
    this.#ready ??= (async () => {
      const version = await readVersion(this.redis, this.layout)
      if (version > SCHEMA_VERSION) throw schemaError(this.layout.ns, 'schema_too_new', version)
      if (version < SCHEMA_VERSION) {
        if (!this.#migrateOnUse) throw schemaError(this.layout.ns, version === 0 ? 'schema_missing' : 'schema_outdated', version)
        await migrateSchema(this.redis, this.layout)
      }
      if (this.#mode === undefined) await this.#detect()
      this.#isReady = true
    })().catch((error: unknown) => {
      this.#ready = undefined
      throw error
    })
    return this.#ready
  }

  /** Detect the change mode once; a failed detection is retried by the next call. */
  #detect(): Promise<ChangeMode> {
    this.#detecting ??= detectChangeMode(this.redis).then(
      (mode) => (this.#mode = mode),
      (error: unknown) => {
        this.#detecting = undefined
        throw error
      },
    )
    return this.#detecting
  }

  /**
   * How changes travel (for the subscriber). On a cluster it waits (bounded) for the connection, which
   * the subscriber needs for the node list, and detects the mode the first time under `auto`; a
   * failure rejects with `StoreUnavailableError` naming `operation`.
   */
  async changeMode(operation: string): Promise<ChangeMode> {
    this.checkOpen()
    if (this.#mode !== undefined && !isCluster(this.redis)) return this.#mode
    try {
      await this.#connected()
      return await this.#deadline(this.#managementTimeoutMs, this.#mode ?? this.#detect())
    } catch (error) {
      throw storeFailure(operation, error, this.#secrets)
    }
  }

  /**
   * Run a command after the schema check, with the deadline of its path; a failure rejects with
   * `StoreUnavailableError` naming `operation` (the driver's error as cause), after `close()` with
   * `ClosedError`.
   */
  async run<T>(operation: string, path: CommandPath, command: () => Promise<T>): Promise<T> {
    this.checkOpen()
    const timeoutMs = path === 'request' ? this.#requestTimeoutMs : this.#managementTimeoutMs
    try {
      if (!this.#isReady || this.redis.status !== 'ready') await this.#ensureReady()
      return await this.#deadline(timeoutMs, command())
    } catch (error) {
      throw storeFailure(operation, error, this.#secrets)
    }
  }

  /** `reply`, or a rejection when it has not come within `timeoutMs`. */
  async #deadline<T>(timeoutMs: number, reply: T | Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      return await Promise.race([
        reply,
        new Promise<never>((_, reject) => {
          // Rejected after the poll phase (setImmediate): when the event loop was busy past the deadline,
          // a reply that arrived meanwhile is read first and wins, instead of failing a command Redis ran.
          timer = setTimeout(() => setImmediate(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`))), timeoutMs)
        }),
      ])
    } finally {
      clearTimeout(timer)
    }
  }

  /** A script through {@link run}. */
  async script<T>(operation: string, path: CommandPath, name: ScriptName, keys: string[], args: (string | number)[]): Promise<T> {
    return this.run(operation, path, () => evalScript<T>(this.redis, name, keys, args))
  }

  /**
   * The step that writes a record or an owner (`INSERT`, `UPDATE`, `DELETE`, `PUT_OWNER`: ARGV led by
   * the channel and `message`), which publishes `message` when it writes: in the same script with
   * `PUBLISH` (single server, broadcast), so no write goes unannounced; with sharded pub/sub the
   * script's slot is not the channel's, and the caller {@link announce}s right after it.
   */
  async writeScript<T>(operation: string, name: ScriptName, key: string, message: string, args: (string | number)[]): Promise<T> {
    // The mode is known inside run (the first readiness check detects it).
    return this.run(operation, 'management', () =>
      evalScript<T>(this.redis, name, [key], [this.#mode === 'sharded' ? '' : this.layout.channel, message, ...args]),
    )
  }

  /** After writes of `messages` with sharded pub/sub: `SPUBLISH` them in the channel's slot (one step). Otherwise their scripts published them. */
  async announce(operation: string, messages: readonly string[]): Promise<void> {
    if (this.#mode !== 'sharded' || messages.length === 0) return
    const ops = new ControlOps(this)
    for (const message of messages) ops.publish(message)
    await ops.run(operation)
  }

  /** Refuse every further call and, when the store made the client, disconnect it. */
  async close(): Promise<void> {
    this.#closed = true
    if (this.#ownsClient) await this.redis.quit().catch(() => this.redis.disconnect())
  }
}
