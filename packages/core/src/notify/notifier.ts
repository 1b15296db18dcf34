import type { NotificationSender, PendingNotification } from '../analytics-types.js'
import type { KeywardEvent } from '../events.js'
import { causeText } from '../lib/cause-text.js'
import type { EventSink } from '../instance/events.js'
import type { KeyStore } from '../types.js'

export interface NotifierParts {
  store: KeyStore
  events: EventSink
  sender: NotificationSender | null
  now: () => number
  /** This instance's name in delivery claims. */
  holder: string
}

/** How long a claimed delivery is this instance's before another may take it over. */
const CLAIM_MS = 60_000
/**
 * A claimed batch is sent one by one only while this much of its claim is left: the rest waits for
 * the claim to lapse, so no send (at most the sender's timeout, 10 s by default) outlasts the claim
 * and overlaps another instance's claim of the same notification.
 */
const SEND_WITHIN_MS = CLAIM_MS / 2
const BATCH = 20
const FIRST_RETRY_MS = 5_000
const MAX_RETRY_MS = 3_600_000
const MAX_SEEN = 10_000

/** The wait before the attempt after `attempts` failed ones: 5 s, doubling, at most an hour. */
function retryDelayMs(attempts: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1), MAX_RETRY_MS)
}

/**
 * Emits each notification once per key and period, across instances (the store's ledger decides
 * who records it first; that instance emits it), and delivers recorded ones to the webhook sender
 * with retries and exponential backoff. Deliveries live in the store, so a restart loses none.
 */
export class Notifier {
  readonly #p: NotifierParts
  /** Ids this process already recorded or saw recorded: no store round trip for them again. */
  readonly #seen = new Set<string>()

  constructor(parts: NotifierParts) {
    this.#p = parts
    if (parts.sender !== null && typeof parts.store.claimNotifications !== 'function')
      throw new TypeError('webhooks need a store that keeps deliveries (recordNotifications, claimNotifications, settleNotification)')
  }

  /**
   * Emit `event` unless a notification with `uniqueId` was emitted before (by any instance).
   * Resolves whether this call emitted it. Rejects when the store fails.
   */
  async notify(uniqueId: string, event: Omit<KeywardEvent, 'at'>): Promise<boolean> {
    if (this.#seen.has(uniqueId)) return false
    const { store, now, sender } = this.#p
    const createdAt = now()
    if (typeof store.recordNotifications === 'function') {
      const payload = JSON.stringify({ ...event, at: new Date(createdAt) })
      const added = await store.recordNotifications([
        { id: uniqueId, type: event.type, keyId: event.keyId ?? null, payload, createdAt, pending: sender !== null },
      ])
      this.#remember(uniqueId)
      if (!added.includes(uniqueId)) return false
    } else this.#remember(uniqueId)
    this.#p.events.emit(event)
    return true
  }

  /** Deliver what is due, in batches. Resolves the number delivered and failed. */
  async deliver(): Promise<{ delivered: number; failed: number }> {
    const { store, sender, holder } = this.#p
    const tally = { delivered: 0, failed: 0 }
    if (sender === null) return tally
    for (let round = 0; round < 50; round++) {
      const claimedAt = this.#p.now()
      const batch = await store.claimNotifications!(holder, claimedAt, CLAIM_MS, BATCH)
      for (const notification of batch) {
        if (this.#p.now() - claimedAt >= SEND_WITHIN_MS) return tally
        await this.#attempt(sender, notification, tally)
      }
      if (batch.length < BATCH) break
    }
    return tally
  }

  async #attempt(sender: NotificationSender, n: PendingNotification, tally: { delivered: number; failed: number }): Promise<void> {
    const { store } = this.#p
    try {
      await sender.send({ id: n.id, type: n.type, timestamp: new Date(n.createdAt), payload: JSON.parse(n.payload) })
    } catch (error) {
      tally.failed++
      await store.settleNotification!(n.id, {
        delivered: false,
        nextAttemptAt: this.#p.now() + retryDelayMs(n.attempts + 1),
        error: causeText(error),
      })
      return
    }
    tally.delivered++
    await store.settleNotification!(n.id, { delivered: true })
  }

  #remember(id: string): void {
    if (this.#seen.size >= MAX_SEEN) this.#seen.clear()
    this.#seen.add(id)
  }
}
