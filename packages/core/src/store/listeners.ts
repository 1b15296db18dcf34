import type { KeyChange } from '../types.js'

/**
 * The subscribers of a store's change channel. A listener that throws is skipped: it can break
 * neither the store nor the other listeners.
 *
 * @example
 * readonly #listeners = new ChangeListeners()
 * async subscribe(listener) { this.#listeners.add(listener); return async () => this.#listeners.delete(listener) }
 * // on a change to one record, or '*' when everything cached must be dropped:
 * this.#listeners.emit(id)
 */
export class ChangeListeners {
  readonly #listeners = new Set<(change: KeyChange) => void>()

  get size(): number {
    return this.#listeners.size
  }

  add(listener: (change: KeyChange) => void): void {
    this.#listeners.add(listener)
  }

  delete(listener: (change: KeyChange) => void): void {
    this.#listeners.delete(listener)
  }

  clear(): void {
    this.#listeners.clear()
  }

  /** Tell every listener that record `id` changed (`'*'`: drop everything cached). */
  emit(id: string): void {
    for (const listener of this.#listeners) {
      try {
        listener({ id })
      } catch {
        // A failing listener must not break the store or other listeners.
      }
    }
  }
}
