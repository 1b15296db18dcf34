import type { UsageIncrement, UsageOutcome } from '../analytics-types.js'
import { cryptoRandom, randomBase62 } from '../lib/base62.js'

const OUTCOMES: readonly UsageOutcome[] = [
  'ok',
  'invalid',
  'disabled',
  'expired',
  'revoked',
  'insufficient_scope',
  'rate_limited',
  'usage_exceeded',
  'ip_not_allowed',
  'not_yet_valid',
]
const OUTCOME_INDEX = new Map(OUTCOMES.map((outcome, index) => [outcome, index]))
const MINUTE_MS = 60_000

/** One key's counts in the current minute, by outcome index. */
interface Tally {
  ownerId: string | null
  minute: number
  counts: number[]
}

export interface UsageCounterOptions {
  prefix: string
  flushMs: number
  /** Write a batch; the store applies a batch id at most once. */
  write: (increments: UsageIncrement[], batchId: string) => Promise<void>
  onError: (error: unknown) => void
}

/**
 * Counts verifications per key, outcome and minute in process memory (a map lookup and an
 * increment on the request path) and writes them in one batch per `flushMs`. A failed batch is
 * retried whole, under its id, with the next flush: no count is lost while the process lives, and
 * a batch that was applied although its reply was lost is not applied twice. `flush()` on close
 * writes the rest.
 */
export class UsageCounter {
  readonly #p: UsageCounterOptions
  #tallies = new Map<string, Tally>()
  /** Increments of minutes that ended, waiting for the next flush. */
  #carried: UsageIncrement[] = []
  /** Batches whose write failed, to retry under the same id. */
  #retry: { id: string; increments: UsageIncrement[] }[] = []
  #timer: ReturnType<typeof setInterval> | undefined
  #inFlight: Promise<void> = Promise.resolve()

  constructor(options: UsageCounterOptions) {
    this.#p = options
  }

  /** Count one verification of `keyId` that ended in `outcome` at `now`. */
  count(keyId: string, ownerId: string | null, outcome: UsageOutcome, now: number): void {
    const minute = now - (now % MINUTE_MS)
    let tally = this.#tallies.get(keyId)
    if (tally === undefined) {
      tally = { ownerId, minute, counts: new Array<number>(OUTCOMES.length).fill(0) }
      this.#tallies.set(keyId, tally)
      this.#timer ??= startTimer(() => void this.flush(), this.#p.flushMs)
    } else if (tally.minute !== minute || tally.ownerId !== ownerId) {
      this.#carry(keyId, tally)
      tally.minute = minute
      tally.ownerId = ownerId
    }
    tally.counts[OUTCOME_INDEX.get(outcome)!]!++
  }

  /** Write everything counted so far. Resolves when the write (and any earlier one) settled. */
  flush(): Promise<void> {
    for (const [keyId, tally] of this.#tallies) this.#carry(keyId, tally)
    this.#tallies = new Map()
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    const batches = this.#retry.splice(0)
    if (this.#carried.length > 0) batches.push({ id: randomBase62(16, cryptoRandom), increments: this.#carried })
    this.#carried = []
    if (batches.length === 0) return this.#inFlight
    this.#inFlight = this.#inFlight.then(async () => {
      for (const batch of batches)
        await this.#p.write(batch.increments, batch.id).catch((error: unknown) => {
          // Kept for the next flush: counts survive a store outage as long as the process does.
          this.#retry.push(batch)
          this.#timer ??= startTimer(() => void this.flush(), this.#p.flushMs)
          this.#p.onError(error)
        })
    })
    return this.#inFlight
  }

  /** Stop the timer; pending counts stay until `flush()`. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
  }

  #carry(keyId: string, tally: Tally): void {
    const { ownerId, minute, counts } = tally
    for (let i = 0; i < counts.length; i++)
      if (counts[i]! > 0) {
        this.#carried.push({ keyId, ownerId, prefix: this.#p.prefix, minute, outcome: OUTCOMES[i]!, count: counts[i]! })
        counts[i] = 0
      }
  }
}

function startTimer(callback: () => void, ms: number): ReturnType<typeof setInterval> {
  const timer = setInterval(callback, ms)
  ;(timer as { unref?: () => void }).unref?.()
  return timer
}
