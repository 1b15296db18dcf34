import { ChangeListeners, type KeyChange } from '@keyward/core/store'
import type pg from 'pg'
import type { ReplicaFence } from './fence.js'
import { ChangeListener } from './listener.js'
import { CHANNEL } from './names.js'

/** Options of {@link ChangeFeed}. */
export interface ChangeFeedOptions {
  /** The primary's connection settings, for the LISTEN connection. */
  clientConfig: () => pg.ClientConfig
  /** `schema.table:`: payloads of this store's tables start with it. */
  payloadPrefix: string
  /** Told of every change and of the feed going down and up; the feed then runs until `close()`. */
  fence: ReplicaFence | undefined
}

/**
 * The store's change channel: one LISTEN connection on the primary, shared by the subscribers
 * and the replica fence, started on first use and stopped when neither needs it.
 */
export class ChangeFeed {
  readonly #options: ChangeFeedOptions
  readonly #listeners = new ChangeListeners()
  #listener: ChangeListener | undefined
  #started: Promise<void> | undefined

  constructor(options: ChangeFeedOptions) {
    this.#options = options
  }

  /** Whether the LISTEN connection is up (false between a drop and the reconnect). */
  get listening(): boolean {
    return this.#listener?.listening ?? false
  }

  /** Whether the LISTEN connection was started (and not stopped since). */
  get started(): boolean {
    return this.#started !== undefined
  }

  async subscribe(listener: (change: KeyChange) => void): Promise<() => Promise<void>> {
    this.#listeners.add(listener)
    await this.start()
    return async () => {
      this.#listeners.delete(listener)
      // With a fence, the feed runs until `close()`.
      if (this.#listeners.size === 0 && this.#options.fence === undefined) await this.#stop()
    }
  }

  /** Start the LISTEN connection unless it is running; resolves after its first attempt. */
  start(): Promise<void> {
    if (this.#started === undefined) {
      const { fence, payloadPrefix } = this.#options
      this.#listener = new ChangeListener({
        clientConfig: this.#options.clientConfig(),
        channel: CHANNEL,
        onPayload: (payload) => {
          if (!payload.startsWith(payloadPrefix)) return
          const id = payload.slice(payloadPrefix.length)
          fence?.changed(id)
          this.#listeners.emit(id)
        },
        // While notifications cannot arrive, nothing cached can be trusted: drop it all, so reads
        // go to the store (and fail closed while it is down). Again after the reconnect.
        onGap: () => {
          fence?.down()
          this.#listeners.emit('*')
        },
        onListening: () => fence?.up(),
      })
      this.#started = this.#listener.start()
    }
    return this.#started
  }

  async close(): Promise<void> {
    this.#listeners.clear()
    await this.#stop()
  }

  async #stop(): Promise<void> {
    const stopping = this.#listener
    this.#listener = undefined
    this.#started = undefined
    await stopping?.stop()
  }
}
