import { ChangeListeners, type KeyChange } from '@keyward/core/store'
import type { Cluster, Redis } from 'ioredis'
import { isCluster, type RedisClient } from './client.js'

/**
 * The change notifications of a `RedisKeyStore`: a second connection listening on the store's
 * channel, opened with the first listener and closed with the last. On a single server it is a
 * `SUBSCRIBE` connection; on a cluster, ioredis's sharded subscribers (`SSUBSCRIBE`, one connection
 * per master), as the store announces with `SPUBLISH` in the channel's slot.
 */
export class ChangeFeed {
  readonly #redis: RedisClient
  readonly #channel: string
  readonly #listeners = new ChangeListeners()
  #subscriber: Redis | Cluster | undefined

  constructor(redis: RedisClient, channel: string) {
    this.#redis = redis
    this.#channel = channel
  }

  async subscribe(listener: (change: KeyChange) => void): Promise<() => Promise<void>> {
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

  /** A second connection in subscriber mode; ioredis subscribes again after each reconnect. */
  async #startSubscriber(): Promise<void> {
    const options = { enableOfflineQueue: true, maxRetriesPerRequest: null, lazyConnect: true }
    const sharded = isCluster(this.#redis)
    const subscriber = isCluster(this.#redis)
      ? this.#redis.duplicate(undefined, {
          ...options,
          shardedSubscribers: true,
          redisOptions: { ...this.#redis.options.redisOptions, ...options },
        })
      : this.#redis.duplicate(options)
    this.#subscriber = subscriber
    subscriber.on('error', () => undefined)
    subscriber.on(sharded ? 'smessage' : 'message', (channel: string, id: string) => {
      if (channel === this.#channel) this.#listeners.emit(id)
    })
    // While a subscriber connection is down, messages are lost: nothing cached can be trusted. Tell
    // subscribers to drop everything when a connection goes (reads then go to Redis, and fail
    // closed while it is down) and again once it is back. On a cluster, a sharded subscriber going
    // ('-node') counts, whichever node it was.
    let readyBefore = false
    let up = false
    const back = () => {
      if (readyBefore && !up) this.#listeners.emit('*')
      readyBefore = up = true
    }
    const gone = () => {
      if (up && this.#subscriber === subscriber) this.#listeners.emit('*')
      up = false
    }
    subscriber.on(sharded ? 'subscribersReady' : 'ready', back)
    subscriber.on('close', gone)
    if (sharded) subscriber.on('-node', gone)
    const listen = () => (isCluster(subscriber) ? subscriber.ssubscribe(this.#channel) : subscriber.subscribe(this.#channel))
    try {
      await subscriber.connect()
      await listen()
      up = readyBefore = true
    } catch {
      // Redis is down: ioredis keeps reconnecting and subscribes once it is back.
      readyBefore = true
      listen().catch(() => undefined)
    }
  }

  /** Whether the subscriber connection is up. */
  get listening(): boolean {
    return this.#subscriber?.status === 'ready'
  }

  /** Drop every listener and disconnect the subscriber connection. */
  close(): void {
    this.#listeners.clear()
    this.#subscriber?.disconnect()
    this.#subscriber = undefined
  }
}
