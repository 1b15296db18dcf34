/**
 * Ids this process read recently, bounded. When change notifications may have been missed (a gap
 * in the change log), the store reports a change for each of them, so no cache keeps a stale record.
 */
export class RecentIds {
  readonly #ids = new Set<string>()
  constructor(readonly max = 10_000) {}

  add(id: string): void {
    if (this.#ids.has(id)) this.#ids.delete(id)
    else if (this.#ids.size >= this.max) {
      const oldest = this.#ids.values().next()
      if (!oldest.done) this.#ids.delete(oldest.value)
    }
    this.#ids.add(id)
  }

  values(): string[] {
    return [...this.#ids]
  }
}
