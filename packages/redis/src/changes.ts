import { ChangeListeners, type KeyChange } from '@keyward/core/store'
import { BroadcastSubscriber } from './broadcast.js'
import type { ChangeMode } from './change-mode.js'
import { isCluster, type RedisClient, retryDelay } from './client.js'

/** A subscriber connection of the feed, whatever its kind. */
export interface Subscriber {
  /** Resolves once subscribed, or once a first attempt failed (it keeps trying). */
  readonly started: Promise<void>
  /** Whether it is connected and subscribed. */
  readonly listening: boolean
  close(): void
}

/**
 * What a subscriber connection tells the feed. While a subscriber connection is down, messages are
 * lost: nothing cached can be trusted. So subscribers are told to drop everything (`'*'`) when it
 * goes (reads then go to Redis, and fail closed while it is down) and again once it is back.
 */
export class FeedEvents {
  readonly #emit: (id: string) => void
  /** Whether it was up once, or its first attempt is over. */
  #before = false
  #up = false

  constructor(emit: (id: string) => void) {
    this.#emit = emit
  }

  message(id: string): void {
    this.#emit(id)
  }

  /** Subscribed (again). */
  up(): void {
    if (this.#before && !this.#up) this.#emit('*')
    this.#before = this.#up = true
  }

  /** The connection went. */
  down(): void {
    if (this.#up) this.#emit('*')
    this.#up = false
  }

  /** The first attempt is over, up or not: from now on, coming up means messages may have been missed. */
  attempted(): void {
    this.#before = true
  }
}

/**
 * The change notifications of a `RedisKeyStore`: a second connection listening on the store's
 * channel, opened with the first listener and closed with the last. Its kind follows the change mode:
 * a `SUBSCRIBE` connection on a single server; ioredis's sharded subscribers on a cluster with sharded
 * pub/sub (`SSUBSCRIBE`, one connection per master); a {@link BroadcastSubscriber} on a cluster in
 * broadcast mode.
 */
export class ChangeFeed {
  readonly #redis: RedisClient
  readonly #channel: string
  readonly #mode: () => Promise<ChangeMode>
  readonly #listeners = new ChangeListeners()
  /** The subscriber being opened or open; a stop starts a new generation. */
  #opening: Promise<void> | undefined
  #generation = 0
  #subscriber: Subscriber | undefined
  #timer: ReturnType<typeof setTimeout> | undefined

  /** `mode` tells how changes travel (it rejects while a cluster is unreachable). */
  constructor(redis: RedisClient, channel: string, mode: () => Promise<ChangeMode>) {
    this.#redis = redis
    this.#channel = channel
    this.#mode = mode
  }

  async subscribe(listener: (change: KeyChange) => void): Promise<() => Promise<void>> {
    this.#listeners.add(listener)
    await (this.#opening ??= this.#open(this.#generation))
    return async () => {
      this.#listeners.delete(listener)
      if (this.#listeners.size === 0) this.#stop()
    }
  }

  /**
   * Open the subscriber of the mode; resolves once subscribed, or after a first attempt that failed
   * (it keeps trying, and says `'*'` once it is up, like a subscriber that dropped).
   */
  async #open(generation: number, events = new FeedEvents((id) => this.#listeners.emit(id)), failures = 0): Promise<void> {
    const mode = await this.#mode().catch(() => undefined)
    // Stopped meanwhile (the last listener gone, or closed).
    if (generation !== this.#generation) return
    if (mode === undefined) {
      // The cluster is unreachable: its node list and mode come once it is back.
      events.attempted()
      this.#timer = setTimeout(() => void this.#open(generation, events, failures + 1), retryDelay(failures))
      return
    }
    const subscriber =
      mode === 'broadcast' && isCluster(this.#redis)
        ? new BroadcastSubscriber(this.#redis, this.#channel, events)
        : ioredisSubscriber(this.#redis, this.#channel, events)
    this.#subscriber = subscriber
    await subscriber.started
  }

  #stop(): void {
    this.#generation++
    clearTimeout(this.#timer)
    this.#opening = undefined
    this.#subscriber?.close()
    this.#subscriber = undefined
  }

  /** Whether the subscriber connection is up. */
  get listening(): boolean {
    return this.#subscriber?.listening ?? false
  }

  /** Drop every listener and disconnect the subscriber connection. */
  close(): void {
    this.#listeners.clear()
    this.#stop()
  }
}

/**
 * ioredis's own subscriber, a duplicate of the store's client: `SUBSCRIBE` on a single server, sharded
 * subscribers (`SSUBSCRIBE`, one connection per master) on a cluster. ioredis reconnects and
 * subscribes again by itself; on a cluster, a sharded subscriber going (`-node`) counts as a drop,
 * whichever node it was.
 */
function ioredisSubscriber(redis: RedisClient, channel: string, events: FeedEvents): Subscriber {
  const options = { enableOfflineQueue: true, maxRetriesPerRequest: null, lazyConnect: true }
  const sharded = isCluster(redis)
  const subscriber = isCluster(redis)
    ? redis.duplicate(undefined, { ...options, shardedSubscribers: true, redisOptions: { ...redis.options.redisOptions, ...options } })
    : redis.duplicate(options)
  let closed = false
  subscriber.on('error', () => undefined)
  subscriber.on(sharded ? 'smessage' : 'message', (from: string, id: string) => {
    if (from === channel && !closed) events.message(id)
  })
  const down = () => closed || events.down()
  subscriber.on(sharded ? 'subscribersReady' : 'ready', () => closed || events.up())
  subscriber.on('close', down)
  if (sharded) subscriber.on('-node', down)
  const listen = () => (isCluster(subscriber) ? subscriber.ssubscribe(channel) : subscriber.subscribe(channel))
  const started = (async () => {
    try {
      await subscriber.connect()
      await listen()
      if (!closed) events.up()
    } catch {
      // Redis is down: ioredis keeps reconnecting and subscribes once it is back.
      listen().catch(() => undefined)
    }
    events.attempted()
  })()
  return {
    started,
    get listening() {
      return subscriber.status === 'ready'
    },
    close() {
      closed = true
      subscriber.disconnect()
    },
  }
}
