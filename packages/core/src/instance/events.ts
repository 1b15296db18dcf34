import type { KeywardEvent } from '../events.js'

/** Where an instance's events go: the app's hook and logger, stamped with the instance's clock. */
export class EventSink {
  /** Whether anyone listens: callers skip building an event when nobody does. */
  readonly enabled: boolean
  readonly #onEvent: ((event: KeywardEvent) => void) | undefined
  readonly #now: () => number

  constructor(onEvent: ((event: KeywardEvent) => void) | undefined, now: () => number) {
    this.#onEvent = onEvent
    this.#now = now
    this.enabled = onEvent !== undefined
  }

  emit(event: Omit<KeywardEvent, 'at'>): void {
    if (!this.#onEvent) return
    try {
      this.#onEvent({ ...event, at: new Date(this.#now()) })
    } catch {
      // A failing audit hook must never break verification or management.
    }
  }
}
