import { randomInt } from 'node:crypto'
import { type Cluster, Redis } from 'ioredis'
import type { FeedEvents, Subscriber } from './changes.js'
import { retryDelay } from './client.js'

/**
 * The subscriber of broadcast mode: one plain `SUBSCRIBE` connection to one master of the cluster
 * (a `PUBLISH` on any node reaches every node over the cluster bus). It starts on a random master,
 * which spreads many instances over the masters; when its connection goes, it tells the feed (a drop,
 * as on a single server) and connects to the next master of the cluster client's current view, so a
 * node that died is left behind. It uses the cluster's node options (password, TLS, timeouts).
 */
export class BroadcastSubscriber implements Subscriber {
  readonly started: Promise<void>
  readonly #cluster: Cluster
  readonly #channel: string
  readonly #events: FeedEvents
  #node: Redis | undefined
  #listening = false
  #next = randomInt(1_024)
  #failures = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  #closed = false

  constructor(cluster: Cluster, channel: string, events: FeedEvents) {
    this.#cluster = cluster
    this.#channel = channel
    this.#events = events
    this.started = this.#connect().then(() => events.attempted())
  }

  get listening(): boolean {
    return this.#listening
  }

  /** Subscribe on the next master; when that fails or the connection goes later, try the next one after a wait. */
  async #connect(): Promise<void> {
    this.#timer = undefined
    if (this.#closed) return
    const masters = this.#cluster.nodes('master')
    const master = masters[this.#next++ % Math.max(masters.length, 1)]
    if (master === undefined) return this.#retry()
    const node = new Redis({
      ...this.#cluster.options.redisOptions,
      host: master.options.host,
      port: master.options.port,
      lazyConnect: true,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      // No reconnecting to the same node: the next attempt goes to the next master.
      retryStrategy: () => null,
      autoResubscribe: false,
    })
    this.#node = node
    node.on('error', () => undefined)
    node.on('message', (channel: string, id: string) => {
      if (channel === this.#channel && this.#node === node) this.#events.message(id)
    })
    node.once('end', () => {
      if (this.#node !== node) return
      this.#listening = false
      this.#events.down()
      this.#retry()
    })
    try {
      await node.connect()
      await node.subscribe(this.#channel)
    } catch {
      // 'end' follows (or has come): the next master is tried.
      node.disconnect()
      return
    }
    if (this.#node !== node || node.status !== 'ready') return
    this.#failures = 0
    this.#listening = true
    this.#events.up()
  }

  #retry(): void {
    if (this.#closed || this.#timer !== undefined) return
    this.#timer = setTimeout(() => void this.#connect(), retryDelay(this.#failures++))
  }

  close(): void {
    this.#closed = true
    clearTimeout(this.#timer)
    const node = this.#node
    this.#node = undefined
    this.#listening = false
    node?.disconnect()
  }
}
