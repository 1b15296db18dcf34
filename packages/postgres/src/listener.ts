import pg from 'pg'

/** Options of {@link ChangeListener}. */
export interface ChangeListenerOptions {
  clientConfig: pg.ClientConfig
  channel: string
  onPayload: (payload: string) => void
  /**
   * Called when notifications may be missed: as soon as an established connection is lost, and
   * again after the reconnect (changes made in between were never notified).
   */
  onGap: () => void
  /** Called each time the connection is listening (first connect and every reconnect, after `onGap`). */
  onListening?: () => void
}

const MAX_BACKOFF_MS = 2_000

/**
 * A dedicated connection that LISTENs on one channel and reconnects, with backoff, whenever the
 * connection drops (server restart, network failure, idle kill).
 */
export class ChangeListener {
  readonly #options: ChangeListenerOptions
  #client: pg.Client | undefined
  #stopped = false
  #firstAttempt = true
  #attempt = 0
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(options: ChangeListenerOptions) {
    this.#options = options
  }

  /** Whether the LISTEN connection is up. */
  get listening(): boolean {
    return this.#client !== undefined
  }

  /** Connect and LISTEN; on failure, keep retrying in the background. Resolves after the first attempt. */
  async start(): Promise<void> {
    await this.#connect()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    const client = this.#client
    this.#client = undefined
    await client?.end().catch(() => undefined)
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return
    const first = this.#firstAttempt
    this.#firstAttempt = false
    const client = new pg.Client({ ...this.#options.clientConfig, keepAlive: true })
    let lost = false
    const onLost = () => {
      if (lost) return
      lost = true
      const wasListening = this.#client === client
      if (wasListening) this.#client = undefined
      client.end().catch(() => undefined)
      if (wasListening && !this.#stopped) this.#options.onGap()
      this.#scheduleReconnect()
    }
    client.on('error', onLost)
    client.on('end', onLost)
    client.on('notification', (message) => {
      if (message.channel === this.#options.channel && message.payload !== undefined) this.#options.onPayload(message.payload)
    })
    try {
      await client.connect()
      await client.query(`LISTEN ${this.#options.channel}`)
    } catch {
      onLost()
      return
    }
    if (this.#stopped || lost) {
      await client.end().catch(() => undefined)
      return
    }
    this.#client = client
    this.#attempt = 0
    if (!first) this.#options.onGap()
    this.#options.onListening?.()
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#timer !== undefined) return
    const delay = Math.min(MAX_BACKOFF_MS, 50 * 2 ** this.#attempt++)
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.#connect()
    }, delay)
    this.#timer.unref?.()
  }
}
