interface Slot<V> {
  value: V
  expiresAt: number
  /** Insertion sequence number, for the cheap recency refresh. */
  seq: number
}

/**
 * A bounded map whose entries expire at a given time, evicting the least recently used first.
 * Recency is approximate, to keep hits cheap: a hit moves an entry to the young end only when it
 * has aged past half the capacity, so hot entries are never evicted and most hits cost one lookup.
 */
export class ExpiringLru<V> {
  readonly #max: number
  readonly #entries = new Map<string, Slot<V>>()
  #seq = 0

  constructor(max: number) {
    this.#max = max
  }

  get size(): number {
    return this.#entries.size
  }

  /** The live value for `key`; undefined when absent or expired. */
  get(key: string, now: number): V | undefined {
    const slot = this.#entries.get(key)
    if (slot === undefined) return undefined
    if (slot.expiresAt <= now) {
      this.#entries.delete(key)
      return undefined
    }
    if (this.#seq - slot.seq > this.#max >>> 1) {
      this.#entries.delete(key)
      slot.seq = ++this.#seq
      this.#entries.set(key, slot)
    }
    return slot.value
  }

  set(key: string, value: V, expiresAt: number): void {
    this.#entries.delete(key)
    this.#entries.set(key, { value, expiresAt, seq: ++this.#seq })
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value as string)
  }

  delete(key: string): void {
    this.#entries.delete(key)
  }

  clear(): void {
    this.#entries.clear()
  }
}
