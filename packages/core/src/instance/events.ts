import type { KeywardEvent } from '../events.js'
import type { EventRoute } from '../logging.js'

/** Where an instance's events go: the app's hook and logger, stamped with the instance's clock. */
export class EventSink {
  /** Whether anyone listens to more than store errors: callers skip building other events otherwise. */
  readonly enabled: boolean
  readonly #onEvent: ((event: KeywardEvent) => void) | undefined
  readonly #now: () => number

  constructor(route: EventRoute, now: () => number) {
    this.#onEvent = route.sink
    this.#now = now
    this.enabled = route.all
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
