import { ChangeListeners, type KeyChange } from '@keyward/core/store'
import type { Redis } from 'ioredis'

/**
 * The change notifications of a `RedisKeyStore`: a second connection in subscriber mode on the
 * store's channel, opened with the first listener and closed with the last.
 */
export class ChangeFeed {
  readonly #redis: Redis
  readonly #channel: string
  readonly #listeners = new ChangeListeners()
  #subscriber: Redis | undefined

  constructor(redis: Redis, channel: string) {
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

  /** A second connection in subscriber mode; ioredis re-subscribes after each reconnect. */
  async #startSubscriber(): Promise<void> {
    const subscriber = this.#redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, lazyConnect: true })
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

  /** Drop every listener and disconnect the subscriber connection. */
  close(): void {
    this.#listeners.clear()
    this.#subscriber?.disconnect()
    this.#subscriber = undefined
  }
}
