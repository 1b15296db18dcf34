import { ExpiringLru } from './lib/lru.js'
import type { ApiKeyRecord, KeyStore, RateLimit } from './types.js'
import { failure, type RateLimitState, type VerifyFailure } from './verify-result.js'

/** Failed-attempt throttling. */
export interface ThrottleOptions {
  /**
   * Failed attempts allowed per client address per window; past it the address gets
   * `rate_limited` before any store lookup or digest. OWASP ASVS: at most 100 per hour. Counted are
   * well-formed keys that did not verify (`invalid`); malformed input is refused without any
   * lookup, so it costs nothing to refuse and is not counted.
   * @default { limit: 100, windowMs: 3_600_000 }
   */
  perSource?: false | RateLimit
  /**
   * Failed attempts allowed per key id per window. Off by default: key ids are public, so anyone
   * who saw one could lock its integration out; the 190-bit secret makes guessing hopeless anyway.
   * @default false
   */
  perKey?: false | RateLimit
}

export interface LimitsOptions {
  rateLimit?: RateLimit | undefined
  throttle?: false | ThrottleOptions | undefined
}

/** What a successful admission reports, for `RateLimit` headers and credit displays. */
export interface Admission {
  rateLimit?: RateLimitState
  creditsRemaining?: number
}

/** Failed attempts of one source or key id in the current window. */
interface AttemptSlot {
  /** The store counter's name. */
  readonly name: string
  /** The highest count the store has answered. */
  confirmed: number
  /** Attempts reserved and not yet counted or released. */
  pending: number
}

/** Attempt slots held by one verification (see {@link Limits.reserve}). */
export interface Reservation {
  readonly source: AttemptSlot | undefined
  readonly key: AttemptSlot | undefined
}

const DEFAULT_PER_SOURCE: RateLimit = { limit: 100, windowMs: 3_600_000 }
const MAX_TRACKED = 100_000

/**
 * Rate limits, usage credits and failure throttling. Decisions that must be exact across instances
 * (rate limits, credits) are atomic store operations; throttling consults a local memory of counts
 * the store returned, so a request from an address in good standing costs no I/O.
 */
export class Limits {
  readonly defaultRateLimit: RateLimit | null
  readonly #perSource: RateLimit | null
  readonly #perKey: RateLimit | null
  readonly #store: KeyStore
  /** Throttled counters seen from the store: name → window end. */
  readonly #blocked = new ExpiringLru<true>(MAX_TRACKED)
  /** Attempts per source / key id in the current window: confirmed by the store, and in flight. */
  readonly #attempts = new ExpiringLru<AttemptSlot>(MAX_TRACKED)

  constructor(store: KeyStore, options: LimitsOptions) {
    this.#store = store
    this.defaultRateLimit = options.rateLimit ?? null
    const canCount = typeof store.incrementCounter === 'function'
    // The default throttle applies to stores that can count; asking for limits a store cannot keep is an error.
    const throttle = options.throttle ?? (canCount ? {} : false)
    this.#perSource = throttle === false || throttle.perSource === false ? null : (throttle.perSource ?? DEFAULT_PER_SOURCE)
    this.#perKey = throttle === false || !throttle.perKey ? null : throttle.perKey
    const needsCounters = this.defaultRateLimit !== null || this.#perSource !== null || this.#perKey !== null
    if (needsCounters && !canCount) throw new TypeError('this store has no incrementCounter(): rate limits and throttling need it')
  }

  /** Whether the store can count (for per-key limits set at creation) and spend credits. */
  get canRateLimit(): boolean {
    return typeof this.#store.incrementCounter === 'function'
  }
  get canSpendCredits(): boolean {
    return typeof this.#store.spendCredits === 'function'
  }

  /** A local, I/O-free check: the retry delay when the source or key id is throttled. */
  throttled(kind: 'source' | 'key', value: string | undefined, now: number): number | undefined {
    if (value === undefined || (kind === 'source' ? this.#perSource : this.#perKey) === null) return undefined
    return this.#blocked.get(`${kind}:${value}`, now) ? this.#retryAfter(kind, now) : undefined
  }

  #retryAfter(kind: 'source' | 'key', now: number): number {
    const windowMs = (kind === 'source' ? this.#perSource : this.#perKey)!.windowMs
    return Math.floor(now / windowMs) * windowMs + windowMs - now
  }

  /**
   * Reserve one attempt for the source and key id before a secret is checked, so a burst cannot
   * outrun the store's counter: failures the store has confirmed in this window plus attempts
   * still being evaluated may not exceed the limit. Returns the retry delay when either is full
   * (nothing reserved then); otherwise a reservation to hand back with {@link release} or
   * {@link recordFailure}. Synchronous and I/O-free.
   */
  reserve(source: string | undefined, keyId: string, now: number): { retryAfterMs: number } | Reservation {
    const bySource = this.#slot('source', source, this.#perSource, now)
    const byKey = this.#slot('key', keyId, this.#perKey, now)
    for (const [kind, slot, limit] of [
      ['source', bySource, this.#perSource],
      ['key', byKey, this.#perKey],
    ] as const)
      if (slot !== undefined && slot.confirmed + slot.pending >= limit!.limit) return { retryAfterMs: this.#retryAfter(kind, now) }
    if (bySource) bySource.pending++
    if (byKey) byKey.pending++
    return { source: bySource, key: byKey }
  }

  /** Hand back a reservation whose attempt succeeded (or was not a failed guess). */
  release(reservation: Reservation): void {
    if (reservation.source) reservation.source.pending--
    if (reservation.key) reservation.key.pending--
  }

  /** The attempt slot of one source or key id in the current window; undefined when not throttled. */
  #slot(kind: 'source' | 'key', value: string | undefined, limit: RateLimit | null, now: number): AttemptSlot | undefined {
    if (value === undefined || limit === null) return undefined
    const name = `${kind}:${value}`
    let slot = this.#attempts.get(name, now)
    if (slot === undefined) {
      slot = { name: `fail:${name}`, confirmed: 0, pending: 0 }
      this.#attempts.set(name, slot, Math.floor(now / limit.windowMs) * limit.windowMs + limit.windowMs)
    }
    return slot
  }

  /** Count a reserved, failed attempt against its source and key id in the store. Never throws. */
  async recordFailure(reservation: Reservation, now: number): Promise<void> {
    await Promise.all([this.#count(reservation.source, this.#perSource, now), this.#count(reservation.key, this.#perKey, now)])
  }

  async #count(slot: AttemptSlot | undefined, limit: RateLimit | null, now: number): Promise<void> {
    if (slot === undefined || limit === null) return
    try {
      const { count, resetAt } = await this.#store.incrementCounter!(slot.name, 1, limit.windowMs, now)
      slot.confirmed = Math.max(slot.confirmed, count)
      if (count >= limit.limit) this.#blocked.set(slot.name.slice('fail:'.length), true, resetAt)
    } catch {
      // The request already failed; an unreachable counter must not turn that into anything else.
    } finally {
      slot.pending--
    }
  }

  /**
   * Admit a verified key: the rate limit first, then the credits, both of its budget record (the
   * key itself, or for a key still in its rotation grace period the newest key of its rotation
   * chain, so that rotating never multiplies a budget). Resolves to a failure, or to what to
   * report. Rejects when the store fails (the caller fails closed).
   */
  async admit(keyId: string, budget: ApiKeyRecord, cost: number, now: number): Promise<VerifyFailure | Admission> {
    const admission: Admission = {}
    const rateLimit = budget.rateLimit ?? this.defaultRateLimit
    if (rateLimit !== null) {
      const { count, resetAt } = await this.#store.incrementCounter!(rateCounterName(budget.id), 1, rateLimit.windowMs, now)
      const state: RateLimitState = { ...rateLimit, remaining: Math.max(0, rateLimit.limit - count), resetAt, resetInMs: resetAt - now }
      if (count > rateLimit.limit) return failure('rate_limited', { keyId, retryAfterMs: resetAt - now, rateLimit: state })
      admission.rateLimit = state
    }
    if (budget.credits !== null && this.canSpendCredits) {
      const spend = await this.#store.spendCredits!(budget.id, cost, now)
      if (spend !== null) {
        if (!spend.ok)
          return failure('usage_exceeded', {
            keyId,
            creditsRemaining: spend.remaining,
            ...(spend.nextRefillAt !== null && { retryAfterMs: spend.nextRefillAt - now }),
          })
        admission.creditsRemaining = spend.remaining
      }
    }
    return admission
  }
}

/** The store counter of a key's rate limit. */
export function rateCounterName(keyId: string): string {
  return `rate:${keyId}`
}
