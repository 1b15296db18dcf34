/** One pending write: the same shape as the store's `LastUsedEntry`. */
interface LastUsedEntry {
  id: string
  lastUsedAt: Date
  from?: string
}

/**
 * Collects last-used times off the request path: at most one write per key per `intervalMs`,
 * flushed in one batch shortly after the first pending entry. A failed write is reported, never
 * thrown to a request.
 */
export class LastUsedWriter {
  readonly #intervalMs: number
  readonly #write: (entries: LastUsedEntry[]) => Promise<void>
  readonly #onError: (error: unknown) => void
  /** Per key, when a write was last scheduled. Pruned of entries older than the interval. */
  readonly #scheduledAt = new Map<string, number>()
  #pending = new Map<string, { at: number; from: string | undefined }>()
  #timer: ReturnType<typeof setTimeout> | undefined
  #inFlight: Promise<void> = Promise.resolve()

  constructor(options: {
    intervalMs: number
    write: (entries: LastUsedEntry[]) => Promise<void>
    onError: (error: unknown) => void
  }) {
    this.#intervalMs = options.intervalMs
    this.#write = options.write
    this.#onError = options.onError
  }

  /** Note a use of key `id` at `now` (from client address `from`); cheap when a write for it is already recent. */
  record(id: string, now: number, from?: string): void {
    const last = this.#scheduledAt.get(id)
    if (last !== undefined && now - last < this.#intervalMs) return
    this.#scheduledAt.set(id, now)
    this.#pending.set(id, { at: now, from })
    this.#timer ??= setTimeoutUnref(() => void this.flush(), Math.min(1000, this.#intervalMs))
  }

  /** Write every pending entry now. Resolves when the write (and any earlier one) settled. */
  flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    const pending = this.#pending
    if (pending.size > 0) {
      this.#pending = new Map()
      const entries = [...pending].map(([id, { at, from }]) =>
        from === undefined ? { id, lastUsedAt: new Date(at) } : { id, lastUsedAt: new Date(at), from },
      )
      this.#inFlight = this.#inFlight.then(() => this.#write(entries)).catch(this.#onError)
      this.#prune(entries[entries.length - 1]!.lastUsedAt.getTime())
    }
    return this.#inFlight
  }

  #prune(now: number): void {
    if (this.#scheduledAt.size < 10_000) return
    for (const [id, at] of this.#scheduledAt) if (now - at >= this.#intervalMs) this.#scheduledAt.delete(id)
  }
}

function setTimeoutUnref(callback: () => void, ms: number): ReturnType<typeof setTimeout> {
  const timer = setTimeout(callback, ms)
  ;(timer as { unref?: () => void }).unref?.()
  return timer
}
